// DDTensor: placeholder until the module lands.
