// Every workflow the worker registers is exported from here (the bundle's entry point).
export {};
