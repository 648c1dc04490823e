/* nbody: `n` leapfrog steps of eight bodies under gravity (double); measures f64 arithmetic,
 * division and sqrt on a small working set. The initial conditions are made up (a heavy
 * centre with lighter bodies on rough circles), not any real system. */
#include "kernel.h"

#define BODY_COUNT 8

struct body {
    double x, y, z;
    double vx, vy, vz;
    double mass;
};

static struct body bodies[BODY_COUNT];

static void init_bodies(void) {
    uint32_t seed = 0x5eed5eedu;
    bodies[0] = (struct body){0, 0, 0, 0, 0, 0, 1000.0};
    for (int i = 1; i < BODY_COUNT; ++i) {
        double radius = 10.0 * i + (double)(prng_next(&seed) % 1000u) / 500.0;
        double tilt = (double)(prng_next(&seed) % 1000u) / 10000.0;
        double speed = __builtin_sqrt(1000.0 / radius);
        bodies[i] = (struct body){
            radius, 0, radius * tilt, 0, speed, 0, 0.1 + (double)(prng_next(&seed) % 100u) / 100.0};
    }
}

static void advance(double dt) {
    for (int i = 0; i < BODY_COUNT; ++i) {
        struct body* bi = &bodies[i];
        for (int j = i + 1; j < BODY_COUNT; ++j) {
            struct body* bj = &bodies[j];
            double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
            double dist2 = dx * dx + dy * dy + dz * dz;
            double dist = __builtin_sqrt(dist2);
            double mag = dt / (dist2 * dist);
            bi->vx -= dx * bj->mass * mag;
            bi->vy -= dy * bj->mass * mag;
            bi->vz -= dz * bj->mass * mag;
            bj->vx += dx * bi->mass * mag;
            bj->vy += dy * bi->mass * mag;
            bj->vz += dz * bi->mass * mag;
        }
    }
    for (int i = 0; i < BODY_COUNT; ++i) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static double energy(void) {
    double e = 0.0;
    for (int i = 0; i < BODY_COUNT; ++i) {
        const struct body* bi = &bodies[i];
        e += 0.5 * bi->mass * (bi->vx * bi->vx + bi->vy * bi->vy + bi->vz * bi->vz);
        for (int j = i + 1; j < BODY_COUNT; ++j) {
            const struct body* bj = &bodies[j];
            double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
            e -= bi->mass * bj->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

int64_t run(int32_t n) {
    init_bodies();
    uint64_t h = double_bits(energy());
    for (int32_t step = 0; step < n; ++step) advance(0.001);
    h = checksum_mix(h, double_bits(energy()));
    for (int i = 0; i < BODY_COUNT; ++i) h = checksum_mix(h, double_bits(bodies[i].x));
    return checksum_finish(h);
}

KERNEL_SIZES(400000, 2000)
