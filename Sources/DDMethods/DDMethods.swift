// DDMethods: placeholder until the module lands.
