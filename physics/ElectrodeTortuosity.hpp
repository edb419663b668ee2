#pragma once
// The `electrode_tortuosity` study: the electrode tortuosity factor tau_e (Nguyen et al. 2020) from the
// low-frequency limit of the electrode's impedance with a capacitive active surface. See
// physics/ElectrodeTortuosity.cpp and docs/conductivity.md (Electrode tortuosity factor).
#include <array>

#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& electrodeTortuositySchema();
// Checks that need no voxel (phase names, a conducting and an active phase, no phase both, petsc_options
// syntax). InputError naming the key.
void checkElectrodeTortuosityInputs(const PhaseMap& phases, const std::array<int64_t, 3>& n,
                                    const Params& study);
// Collective. Returns the study's results for results.json.
Json runElectrodeTortuosity(const StudyContext& ctx, const Params& study);

// The low-frequency resistance of a uniform discrete transmission line of N cells with the inlet potential on
// the face (half a cell from the first centre), blocking at the far end, in units of its ionic resistance
// R_ion = L / (eps sigma0 A): 1/3 + 1/(6 N^2) (derivation in the .cpp). tau_e = R_0 / (R_ion * this).
double uniformLineResistanceFactor(int64_t n);

}  // namespace ssb
