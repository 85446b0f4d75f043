// DDAugment: placeholder until the module lands.
