// DDKernels: placeholder until the module lands.
