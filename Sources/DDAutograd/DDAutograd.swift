// DDAutograd: placeholder until the module lands.
