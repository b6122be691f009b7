/*
 * nbody — double-precision simulation of the Sun and the four giant planets.
 *
 * What it exercises: IEEE 754 binary64 add, multiply, divide and square root (fsqrt.d on
 * RV64: with -fno-math-errno clang lowers __builtin_sqrt to the instruction, no libm) in
 * long dependent chains. It is the only workload with floating point.
 *
 * Exactness: every operation is written out in a fixed order, contraction of a*b+c into a
 * fused multiply-add is off (the pragma below, and -ffp-contract=off in the build), and
 * square root is correctly rounded in IEEE 754, so any conforming machine gets the same bits.
 * tools/reference.py replays the same operations with Python floats. The checksum is the
 * bit pattern of the system's total energy after all steps.
 *
 * Units: distances in astronomical units, time in years, masses in solar masses (so the
 * gravitational constant is 4π²); initial positions and velocities are the values widely used
 * for this benchmark, velocities given in AU per day and scaled by the days in a year.
 */
#include "workload.h"

#pragma STDC FP_CONTRACT OFF

#define BODIES 5
#define STEPS_PER_ROUND 500   /* QEMU runs FP through softfloat helpers: ~30 ns per operation */
#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define TIME_STEP 0.01

static double x[BODIES], y[BODIES], z[BODIES], vx[BODIES], vy[BODIES], vz[BODIES], mass[BODIES];

static const double initial[BODIES][7] = {
    /* x, y, z (AU); vx, vy, vz (AU/day); mass (solar masses) */
    {0, 0, 0, 0, 0, 0, 1},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05},
};

static void start(void) {
    for (int i = 0; i < BODIES; i++) {
        x[i] = initial[i][0];
        y[i] = initial[i][1];
        z[i] = initial[i][2];
        vx[i] = initial[i][3] * DAYS_PER_YEAR;
        vy[i] = initial[i][4] * DAYS_PER_YEAR;
        vz[i] = initial[i][5] * DAYS_PER_YEAR;
        mass[i] = initial[i][6] * SOLAR_MASS;
    }
    /* Give the Sun the momentum that makes the system's total zero, so it does not drift. */
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < BODIES; i++) {
        px = px + vx[i] * mass[i];
        py = py + vy[i] * mass[i];
        pz = pz + vz[i] * mass[i];
    }
    vx[0] = -px / SOLAR_MASS;
    vy[0] = -py / SOLAR_MASS;
    vz[0] = -pz / SOLAR_MASS;
}

static void advance(double dt) {
    for (int i = 0; i < BODIES; i++) {
        for (int j = i + 1; j < BODIES; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
            double d2 = dx * dx + dy * dy + dz * dz;
            double magnitude = dt / (d2 * __builtin_sqrt(d2));
            vx[i] = vx[i] - dx * mass[j] * magnitude;
            vy[i] = vy[i] - dy * mass[j] * magnitude;
            vz[i] = vz[i] - dz * mass[j] * magnitude;
            vx[j] = vx[j] + dx * mass[i] * magnitude;
            vy[j] = vy[j] + dy * mass[i] * magnitude;
            vz[j] = vz[j] + dz * mass[i] * magnitude;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        x[i] = x[i] + dt * vx[i];
        y[i] = y[i] + dt * vy[i];
        z[i] = z[i] + dt * vz[i];
    }
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < BODIES; i++) {
        e = e + 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
            e = e - mass[i] * mass[j] / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

_Noreturn void workload_main(void) {
    start();
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (int step = 0; step < STEPS_PER_ROUND; step++) advance(TIME_STEP);
    }
    union { double d; uint64_t bits; } e = {energy()};
    wl_finish("nbody" WORKLOAD_SUFFIX, e.bits,
              WORKLOAD_EXPECTED(0xbfc5a420916c5559ull, 0xbfc5a27f56d24110ull));
}
