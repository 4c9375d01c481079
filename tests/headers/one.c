/* Compiled after one public header (-include) to prove it stands alone. */
typedef int ksef_header_compiles_alone;
