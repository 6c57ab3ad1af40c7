// Importing this module registers every vector kind (some depend on modules that import
// the vector registry themselves, so they register rather than being listed statically).
export {};
