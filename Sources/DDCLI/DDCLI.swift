// DDCLI: placeholder until the module lands.
