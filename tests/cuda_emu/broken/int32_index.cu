// BROKEN on purpose: the 32-bit index overflow gradcore's kernels avoid with index_t.  For a
// (rows, cols) block past 2^31 elements, r * cols overflows int -- undefined behaviour that
// UndefinedBehaviorSanitizer reports (on a GPU: a negative offset and a wild access).
__global__ void last_in_row(long long* __restrict__ out, int rows, int cols) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    const int off = r * cols + (cols - 1);
    out[r] = off;
  }
}

__global__ void last_in_row_ok(long long* __restrict__ out, int rows, int cols) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    out[r] = (long long)r * cols + (cols - 1);
  }
}
