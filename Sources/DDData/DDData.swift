// DDData: placeholder until the module lands.
