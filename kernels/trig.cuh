// sin and cos in double precision with no local memory: CUDA's sin/cos keep a stack frame for
// the Payne-Hanek reduction of huge arguments, which the kernels' no-stack-frame rule forbids.
//
// Reduction: x = M * 2^E (M a 53-bit integer).  x * 2/pi mod 4 is summed from exact products
// M * N_k (a two-product: p = M * N_k rounded, e = fma(M, N_k, -p)) with the five 53-bit pieces
// N_k of 2/pi that matter -- earlier pieces give multiples of 4, later ones fall below the
// precision kept -- each scaled by a power of two and taken mod 4 exactly (centred, so small
// terms stay exact), then added as a
// double-double.  The remainder r = f * pi/2, |r| <= pi/4, is a double-double too, and
// sin/cos(r) come from Taylor polynomials (degree 25/26: truncation below 2^-100).
// Accuracy against glibc: within 1 ulp on millions of random doubles over the whole range and
// next to multiples of pi/2; 8 ulp at the hardest double to reduce (6381956970095103 * 2^797,
// 2^-61 from a multiple of pi/2).  Float results are these rounded to float.
// tests/test_kernels_compile.py compiles this file as plain C++ (GC_HOST_TEST) and repeats the
// check against the host's libm when a C++ compiler is there.
#pragma once

#ifndef GC_HOST_TEST
#define GC_TRIG_FN __device__ __forceinline__
#define GC_TRIG_TABLE __constant__
#endif

// 2/pi = sum_k GC_TWO_OVER_PI[k] * 2^(-53 (k + 1)): 53 bits per piece, 1325 bits in all.
GC_TRIG_TABLE const double GC_TWO_OVER_PI[25] = {
    5734161139222658.0, 5814151408469972.0, 7440259586542284.0, 5563773718881558.0,
    2066796102992750.0, 2563573915284664.0, 55291115753100.0, 5098427330010289.0,
    1465545334474430.0, 5835026907506289.0, 6776677510095004.0, 7069188010357663.0,
    2595984518904818.0, 2831001892290551.0, 4552804911380620.0, 3195225570766134.0,
    4461702110328553.0, 8190251822055336.0, 6397593724909042.0, 8751785341853560.0,
    5811081437509311.0, 3456741467624832.0, 7180050975382879.0, 4732006535197750.0,
    1043696148294620.0};

GC_TRIG_FN double gc_pow2(int e) {  // 2^e for -1022 <= e <= 1023, exactly
  return __longlong_as_double((long long)(e + 1023) << 52);
}

GC_TRIG_FN double gc_mod4(double t) {  // t mod 4 in [-2, 2], exact (and t itself if |t| < 2)
  return t - 4.0 * rint(t * 0.25);
}

GC_TRIG_FN void gc_two_sum(double a, double b, double& s, double& err) {
  s = a + b;
  const double bb = s - a;
  err = (a - (s - bb)) + (b - bb);
}

// |x| (finite, >= 2^-27) -> quadrant q (0..3) and r = rh + rl with |x| = r + q pi/2 (mod 2 pi)
GC_TRIG_FN int gc_reduce_pio2(double ax, double& rh, double& rl) {
  const long long bits = __double_as_longlong(ax);
  const int E = (int)(bits >> 52) - 1075;  // ax = M * 2^E (ax is normal here)
  const double M = (double)((bits & 0x000fffffffffffffLL) | 0x0010000000000000LL);
  // the first piece whose product is not a multiple of 4: E - 53 (k + 1) <= 1
  int k0 = (E - 1 + 52) / 53 - 1;
  k0 = k0 < 0 ? 0 : k0;
  double hi = 0.0, lo = 0.0;
#pragma unroll
  for (int j = 0; j < 5; ++j) {
    const int k = k0 + j;
    const double n = GC_TWO_OVER_PI[k];
    const double scale = gc_pow2(E - 53 * (k + 1));
    const double p = M * n, e = fma(M, n, -p);
    double s, err;
    gc_two_sum(hi, gc_mod4(p * scale), s, err);
    hi = s;
    lo += err;
    gc_two_sum(hi, gc_mod4(e * scale), s, err);
    hi = s;
    lo += err;
  }
  // hi + lo = x * 2/pi (mod 4), within +-20: split off the nearest integer
  double q = rint(hi);
  double f, fl;
  gc_two_sum(hi - q, lo, f, fl);
  if (f > 0.5) { q += 1.0; gc_two_sum(f - 1.0, fl, f, fl); }
  if (f < -0.5) { q -= 1.0; gc_two_sum(f + 1.0, fl, f, fl); }
  // r = (f + fl) * pi/2 as a double-double
  const double pio2_h = 1.5707963267948966, pio2_l = 6.123233995736766e-17;
  rh = f * pio2_h;
  rl = fma(f, pio2_h, -rh) + (f * pio2_l + fl * pio2_h);
  double s, err;
  gc_two_sum(rh, rl, s, err);
  rh = s;
  rl = err;
  return (int)(q - 4.0 * floor(q * 0.25));
}

GC_TRIG_FN double gc_sin_poly(double x) {  // |x| <= pi/4: x - x z P(z), Taylor to x^25
  const double z = x * x;
  double p = -6.446950284384474e-26;  // -1/25!
  p = fma(p, z, 3.868170170630684e-23);  // 1/23!
  p = fma(p, z, -1.9572941063391263e-20);  // -1/21!
  p = fma(p, z, 8.22063524662433e-18);  // 1/19!
  p = fma(p, z, -2.8114572543455206e-15);  // -1/17!
  p = fma(p, z, 7.647163731819816e-13);  // 1/15!
  p = fma(p, z, -1.6059043836821613e-10);  // -1/13!
  p = fma(p, z, 2.505210838544172e-08);  // 1/11!
  p = fma(p, z, -2.7557319223985893e-06);  // -1/9!
  p = fma(p, z, 0.0001984126984126984);  // 1/7!
  p = fma(p, z, -0.008333333333333333);  // -1/5!
  p = fma(p, z, 0.16666666666666666);  // 1/3!
  return fma(-x * z, p, x);
}

GC_TRIG_FN double gc_cos_poly(double x) {  // |x| <= pi/4: 1 - z/2 + z^2 Q(z), Taylor to x^26
  const double z = x * x;
  double p = -2.4795962632247976e-27;  // -1/26!
  p = fma(p, z, 1.6117375710961184e-24);  // 1/24!
  p = fma(p, z, -8.896791392450574e-22);  // -1/22!
  p = fma(p, z, 4.110317623312165e-19);  // 1/20!
  p = fma(p, z, -1.5619206968586225e-16);  // -1/18!
  p = fma(p, z, 4.779477332387385e-14);  // 1/16!
  p = fma(p, z, -1.1470745597729725e-11);  // -1/14!
  p = fma(p, z, 2.08767569878681e-09);  // 1/12!
  p = fma(p, z, -2.755731922398589e-07);  // -1/10!
  p = fma(p, z, 2.48015873015873e-05);  // 1/8!
  p = fma(p, z, -0.001388888888888889);  // -1/6!
  p = fma(p, z, 0.041666666666666664);  // 1/4!
  const double h = 0.5 * z, t = 1.0 - h;  // 1 - z/2, with its rounding error kept
  return t + (((1.0 - t) - h) + z * z * p);
}

// sin(x) (want_cos false) or cos(x) of any double: NaN for inf/NaN.
GC_TRIG_FN double gc_sincos_d(double x, bool want_cos) {
  const double ax = fabs(x);
  if (!(ax <= 1.7976931348623157e308)) return x - x;  // inf, NaN -> NaN
  if (ax < 7.450580596923828e-09) {                // 2^-27: sin x = x, cos x = 1 (rounded)
    return want_cos ? 1.0 : x;
  }
  double rh, rl;
  const int q = gc_reduce_pio2(ax, rh, rl);
  const double s = gc_sin_poly(rh), c = gc_cos_poly(rh);
  const double sin_r = s + c * rl, cos_r = c - s * rl;
  double v;
  if (want_cos) {
    v = (q & 1) ? sin_r : cos_r;
    if (q == 1 || q == 2) v = -v;
  } else {
    v = (q & 1) ? cos_r : sin_r;
    if (q >= 2) v = -v;
    if (x < 0) v = -v;
  }
  return v;
}

GC_TRIG_FN double gc_sin(double x) { return gc_sincos_d(x, false); }
GC_TRIG_FN double gc_cos(double x) { return gc_sincos_d(x, true); }
GC_TRIG_FN float gc_sin(float x) { return (float)gc_sincos_d((double)x, false); }
GC_TRIG_FN float gc_cos(float x) { return (float)gc_sincos_d((double)x, true); }
