// DDRender: placeholder until the module lands.
