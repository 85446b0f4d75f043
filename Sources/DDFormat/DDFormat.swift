// DDFormat: placeholder until the module lands.
