/* The CPU workload Corpus/cpu/matmul.c as a user program of the corpus kernel (kernel-cpu build):
 * its entry is renamed so the eight workloads link into one user image, and the linker script
 * places this file's sections (named user-*.c) in user memory. */
#define workload_main workload_main_matmul
#include "../../cpu/matmul.c"
