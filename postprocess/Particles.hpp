#pragma once
// Particle statistics of one phase after the watershed split (mesh/Watershed): the numbers reported for
// NMC and LPS powders - size (equivalent diameter (6 V / pi)^(1/3), Feret diameter), sphericity
// pi^(1/3) (6 V)^(2/3) / A (1 for a ball), and the contacts between particles of the phase (how many
// neighbours, and the area of each contact).
//
// Areas use the surface estimator of postprocess/SurfaceArea: a particle's surface is its interface with the
// other phases (the same face weights as the phase's surface area) plus its contacts with other particles of
// the phase (faces between two particle ids, weighted with the normal of the smoothed id-pair indicator).
// Particles touching a domain face are cut by the domain: counted and flagged, their sphericity is left out
// of the statistics. Every number is rank-count independent (integer or fixed-point sums).
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "mesh/Watershed.hpp"

namespace ssb {

struct ParticleStats {
  int64_t id = 0;  // particle id (mesh/Watershed)
  int64_t voxels = 0;
  double volume = 0;              // [m^3]
  double equivalentDiameter = 0;  // [m]
  double area = 0;                // [m^2] whole surface, contacts included
  double sphericity = 0;          // [1]
  double feret = 0;               // [m] largest caliper over 49 lattice directions (as PoreSizes)
  double peakRadius = 0;          // [m] the particle's largest distance to the outside (watershed peak)
  int64_t contacts = 0;           // particles of the phase it touches (shares a face with)
  double contactArea = 0;         // [m^2] summed over its contacts
  uint8_t faces = 0;              // domain faces touched (FaceBit); != 0: cut by the domain
};

struct Contact {
  int64_t a = 0, b = 0;  // particle ids, a < b
  double area = 0;       // [m^2]
};

struct ParticleAnalysis {
  ParticleLabels labels;                 // ids per owned voxel
  std::vector<ParticleStats> particles;  // by id
  std::vector<Contact> contacts;         // sorted by (a, b)
};

// Collective. `phase`: owned voxels' phase index in [0, nPhases); the particles of phase `p`.
ParticleAnalysis analyseParticles(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                                  int p, const WatershedOptions& options = {});

}  // namespace ssb
