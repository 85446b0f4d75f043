// DDNN: placeholder until the module lands.
