// Interface decohesion (crack band in the electrolyte voxel of each active|electrolyte face); the law, its
// realisation on the voxel grid and units are in Decohesion.hpp.
#include "physics/Decohesion.hpp"

#include <mpi.h>
#include <petscdmda.h>

#include <algorithm>
#include <cmath>

namespace ssb {

namespace {

// Read access to a ghosted copy of an owned cell field (the cell DMDA wraps periodically for extents >= 2).
class GhostedCells {
 public:
  GhostedCells(const StructuredGrid& grid, const std::vector<double>& owned) : m_dm(grid.dm()) {
    VecHandle g = grid.createField("tmp");
    grid.setOwned(g, owned);
    SSB_PETSC(DMCreateLocalVector(m_dm, m_loc.out()));
    SSB_PETSC(DMGlobalToLocal(m_dm, g, INSERT_VALUES, m_loc));
    SSB_PETSC(DMDAVecGetArrayRead(m_dm, m_loc, &m_a));
  }
  GhostedCells(const GhostedCells&) = delete;
  GhostedCells& operator=(const GhostedCells&) = delete;
  ~GhostedCells() { (void)DMDAVecRestoreArrayRead(m_dm, m_loc, &m_a); }
  double operator()(int64_t i, int64_t j, int64_t k) const { return m_a[k][j][i]; }

 private:
  DM m_dm;
  VecHandle m_loc;
  const PetscScalar*** m_a = nullptr;
};

}  // namespace

InterfaceDamage::InterfaceDamage(const StructuredGrid& grid, const std::vector<MechRole>& role,
                                 const std::vector<elastic::Mat6>& intactStiffness,
                                 std::array<bool, 3> periodic, double strength, double fractureEnergy)
    : m_grid(grid), m_periodic(periodic), m_strength(strength), m_fractureEnergy(fractureEnergy) {
  const auto& n = grid.geometry().n;
  std::vector<double> r(role.size());
  for (size_t l = 0; l < role.size(); ++l) r[l] = static_cast<double>(role[l]);
  GhostedCells nb(grid, r);
  auto roleAt = [&](int64_t i, int64_t j, int64_t k, int axis, int step) -> MechRole {
    int64_t idx[3] = {i, j, k};
    idx[axis] += step;
    if (idx[axis] < 0 || idx[axis] >= n[axis]) {
      // Outside the domain: only a periodic axis continues (the cell DMDA holds the wrapped ghost).
      if (!m_periodic[axis] || n[axis] < 2) return MechRole::None;
    }
    return static_cast<MechRole>(static_cast<int>(nb(idx[0], idx[1], idx[2])));
  };
  m_faceInterface.assign(role.size(), {0, 0, 0});
  m_faceBandSelf.assign(role.size(), {0, 0, 0});
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const MechRole self = role[static_cast<size_t>(l)];
    for (int a = 0; a < 3; ++a) {
      const MechRole up = roleAt(i, j, k, a, +1);
      if ((self == MechRole::Active && up == MechRole::Electrolyte) ||
          (self == MechRole::Electrolyte && up == MechRole::Active)) {
        m_faceInterface[static_cast<size_t>(l)][static_cast<size_t>(a)] = 1;
        m_faceBandSelf[static_cast<size_t>(l)][static_cast<size_t>(a)] =
            self == MechRole::Electrolyte ? 1 : 0;
      }
      if (self != MechRole::Electrolyte) continue;
      const int faces =
          (up == MechRole::Active ? 1 : 0) + (roleAt(i, j, k, a, -1) == MechRole::Active ? 1 : 0);
      if (faces == 0) continue;
      const elastic::Mat6& C = intactStiffness[static_cast<size_t>(l)];
      Band b;
      b.voxel = l;
      b.axis = a;
      b.faces = faces;
      b.modulus = C[static_cast<size_t>(a * 7)];
      const int s = elastic::shearIndex(a, (a + 1) % 3);
      b.shear = C[static_cast<size_t>(s * 7)];
      m_bands.push_back(b);
    }
  });
  int64_t local = static_cast<int64_t>(m_bands.size());
  MPI_Allreduce(&local, &m_bandsGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
}

BilinearCohesiveLaw InterfaceDamage::lawOf(const Band& b) const {
  return {m_strength, m_fractureEnergy, b.modulus / m_grid.geometry().spacing[static_cast<size_t>(b.axis)]};
}

InterfaceDamage::Update InterfaceDamage::update(const std::vector<elastic::Vec6>& intactStress) {
  Update u;
  const auto& h = m_grid.geometry().spacing;
  for (auto& b : m_bands) {
    const double sigma = intactStress[static_cast<size_t>(b.voxel)][static_cast<size_t>(b.axis)];
    const double delta = h[static_cast<size_t>(b.axis)] * sigma / b.modulus;
    b.delta = delta;
    if (b.frozen) {  // held closed with the damage it has: no change, no switch (kFreezeFlips)
      b.target = b.damage;
      continue;
    }
    const BilinearCohesiveLaw law = lawOf(b);
    const bool open = delta > 0.0;
    b.kappaTrial = open ? std::max(b.kappa, delta) : b.kappa;
    b.target = law.damage(b.kappaTrial);
    const bool flipped = open != b.open && std::max(b.target, b.damage) > 0.0;  // a damaged band switched
    if (flipped && ++b.flips >= kFreezeFlips) {
      b.frozen = true;
      b.open = false;
      b.target = b.damage;
      ++u.frozen;
      continue;
    }
    const double change = m_monotone ? std::max(b.target - b.damage, 0.0) : std::abs(b.target - b.damage);
    u.maxDamageChange = std::max(u.maxDamageChange, change);
    if (flipped) ++u.switched;
    b.open = open;
  }
  MPI_Allreduce(MPI_IN_PLACE, &u.maxDamageChange, 1, MPI_DOUBLE, MPI_MAX, m_grid.comm());
  int64_t counts[2] = {u.switched, u.frozen};
  MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_INT64_T, MPI_SUM, m_grid.comm());
  u.switched = counts[0];
  u.frozen = counts[1];
  if (u.switched > 0 || u.frozen > 0) clearHistory();  // the map changed branch: old differences mislead
  return u;
}

void InterfaceDamage::advance(int depth, double relaxation) {
  // Type-II Anderson mixing (Walker & Ni 2011) of the fixed point d = G(d), G = the law's damage of the
  // solution computed with d: x_{k+1} = x_k + f_k - (dX + dF) gamma, gamma = argmin |f_k - dF gamma|_2, f_k =
  // G(x_k) - x_k. The plain secant iteration converges linearly, slowly when the band is stiff against its
  // surroundings; the mixing extrapolates the same sequence at no extra solve.
  const size_t n = m_bands.size();
  std::vector<double> x(n), f(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = m_bands[i].damage;
    f[i] = m_bands[i].target - m_bands[i].damage;
  }
  std::vector<double> next(n);
  for (size_t i = 0; i < n; ++i) next[i] = x[i] + (depth > 0 ? 1.0 : relaxation) * f[i];
  if (depth > 0 && m_haveLast) {  // a rank without bands keeps the same (empty) history: collective below
    std::vector<double> dx(n), df(n);
    for (size_t i = 0; i < n; ++i) {
      dx[i] = x[i] - m_lastX[i];
      df[i] = f[i] - m_lastF[i];
    }
    m_dX.push_back(std::move(dx));
    m_dF.push_back(std::move(df));
    if (m_dX.size() > static_cast<size_t>(depth)) {
      m_dX.erase(m_dX.begin());
      m_dF.erase(m_dF.begin());
    }
  }
  m_lastX = x;
  m_lastF = f;
  m_haveLast = true;
  const size_t m = m_dF.size();
  if (depth > 0 && m > 0) {
    // Normal equations (m <= depth, small): A = dF^T dF, r = dF^T f, summed over the ranks.
    std::vector<double> buf(m * m + m, 0.0);
    for (size_t a = 0; a < m; ++a) {
      for (size_t b = 0; b < m; ++b)
        for (size_t i = 0; i < n; ++i) buf[a * m + b] += m_dF[a][i] * m_dF[b][i];
      for (size_t i = 0; i < n; ++i) buf[m * m + a] += m_dF[a][i] * f[i];
    }
    MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.size()), MPI_DOUBLE, MPI_SUM, m_grid.comm());
    double trace = 0.0;
    for (size_t a = 0; a < m; ++a) trace += buf[a * m + a];
    std::vector<double> gamma(m, 0.0);
    bool ok = trace > 0.0;
    if (ok) {
      // Gaussian elimination with a small Tikhonov shift (identical on every rank: same reduced numbers).
      std::vector<std::vector<double>> A(m, std::vector<double>(m + 1));
      for (size_t a = 0; a < m; ++a) {
        for (size_t b = 0; b < m; ++b) A[a][b] = buf[a * m + b] + (a == b ? 1e-10 * trace : 0.0);
        A[a][m] = buf[m * m + a];
      }
      for (size_t c = 0; c < m && ok; ++c) {
        size_t p = c;
        for (size_t r = c + 1; r < m; ++r)
          if (std::abs(A[r][c]) > std::abs(A[p][c])) p = r;
        std::swap(A[c], A[p]);
        if (A[c][c] == 0.0) ok = false;
        for (size_t r = c + 1; r < m && ok; ++r) {
          const double q = A[r][c] / A[c][c];
          for (size_t k = c; k <= m; ++k) A[r][k] -= q * A[c][k];
        }
      }
      for (size_t c = m; c-- > 0 && ok;) {
        double s = A[c][m];
        for (size_t k = c + 1; k < m; ++k) s -= A[c][k] * gamma[k];
        gamma[c] = s / A[c][c];
        if (!std::isfinite(gamma[c])) ok = false;
      }
    }
    if (ok)
      for (size_t a = 0; a < m; ++a)
        for (size_t i = 0; i < n; ++i) next[i] -= gamma[a] * (m_dX[a][i] + m_dF[a][i]);
  }
  for (size_t i = 0; i < n; ++i) {
    Band& b = m_bands[i];
    // Irreversible: never below the committed damage; in monotone mode never below max(d_k, G(d_k)) (the
    // mixing may only extrapolate the increase, see startMonotone).
    const double floor = m_monotone ? std::max(b.damage, b.target) : lawOf(b).damage(b.kappa);
    b.damage = std::clamp(next[i], std::min(floor, 1.0), 1.0);
  }
}

std::vector<std::array<double, 6>> InterfaceDamage::crackCompliance() const {
  std::vector<std::array<double, 6>> w(m_faceInterface.size(), std::array<double, 6>{0, 0, 0, 0, 0, 0});
  for (const auto& b : m_bands) {
    const double d = std::min(b.damage, 1.0 - kResidual);
    if (d <= 0.0) continue;
    auto& v = w[static_cast<size_t>(b.voxel)];
    const size_t a = static_cast<size_t>(b.axis);
    if (b.open) v[a] += d / ((1.0 - d) * b.modulus);
    v[3 + a] += d / ((1.0 - d) * b.shear);
  }
  return w;
}

void InterfaceDamage::commit() {
  for (auto& b : m_bands) {
    if (m_monotone) {
      // The band keeps the damage the monotone iteration gave it (or the law's, if that is higher), with the
      // history that gives it back: a band frozen or unloaded within the step has a trial history below it.
      const double d = std::max(b.damage, b.target);
      b.kappa = std::max(b.kappaTrial, lawOf(b).historyFor(d));
      b.damage = d;
    } else {
      b.kappa = b.kappaTrial;
      b.damage = b.target;
    }
    b.flips = 0;
    b.frozen = false;
  }
  m_monotone = false;
  clearHistory();
}

void InterfaceDamage::restartFromCommitted() {
  for (auto& b : m_bands) {
    b.kappaTrial = b.kappa;
    b.damage = lawOf(b).damage(b.kappa);
    b.target = b.damage;
  }
  clearHistory();
}

void InterfaceDamage::startMonotone() {
  restartFromCommitted();  // flips and frozen bands of the step stay
  m_monotone = true;
}

void InterfaceDamage::rollback() {
  restartFromCommitted();
  for (auto& b : m_bands) {
    b.flips = 0;
    b.frozen = false;
  }
  m_monotone = false;
}

void InterfaceDamage::clearHistory() {
  m_dX.clear();
  m_dF.clear();
  m_haveLast = false;
}

InterfaceFaceFields InterfaceDamage::faceFields() const {
  const size_t nOwned = m_faceInterface.size();
  InterfaceFaceFields f;
  f.isInterface = m_faceInterface;
  f.damage.assign(nOwned, {0, 0, 0});
  f.opening.assign(nOwned, {0, 0, 0});
  f.contact.assign(nOwned, {1, 1, 1});
  for (int a = 0; a < 3; ++a) {
    std::vector<double> dmg(nOwned, 0.0), gap(nOwned, 0.0);
    for (const auto& b : m_bands) {
      if (b.axis != a) continue;
      dmg[static_cast<size_t>(b.voxel)] = b.damage;
      gap[static_cast<size_t>(b.voxel)] = b.open ? b.damage * b.delta / b.faces : 0.0;
    }
    GhostedCells gd(m_grid, dmg), gg(m_grid, gap);
    m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const size_t lv = static_cast<size_t>(l);
      if (!m_faceInterface[lv][static_cast<size_t>(a)]) return;
      int64_t idx[3] = {i, j, k};
      if (!m_faceBandSelf[lv][static_cast<size_t>(a)]) idx[a] += 1;  // the band is the upper neighbour
      const double d = gd(idx[0], idx[1], idx[2]);
      f.damage[lv][static_cast<size_t>(a)] = d;
      f.opening[lv][static_cast<size_t>(a)] = gg(idx[0], idx[1], idx[2]);
      f.contact[lv][static_cast<size_t>(a)] = d >= 1.0 ? 0.0 : 1.0 - d;
    });
  }
  return f;
}

Json InterfaceDamage::statistics() const {
  const InterfaceFaceFields f = faceFields();
  const auto& h = m_grid.geometry().spacing;
  // Sums: area, debonded area, damaged area, damage*area, contact*area, gap*area, gap^2*area, open area,
  // faces, debonded faces; max gap.
  double s[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  double maxGap = 0.0;
  for (size_t l = 0; l < f.isInterface.size(); ++l)
    for (int a = 0; a < 3; ++a) {
      if (!f.isInterface[l][static_cast<size_t>(a)]) continue;
      const double area = h[static_cast<size_t>((a + 1) % 3)] * h[static_cast<size_t>((a + 2) % 3)];
      const double d = f.damage[l][static_cast<size_t>(a)], g = f.opening[l][static_cast<size_t>(a)];
      s[0] += area;
      if (d >= 1.0) {
        s[1] += area;
        s[9] += 1;
      }
      if (d > 0.0) s[2] += area;
      s[3] += d * area;
      s[4] += f.contact[l][static_cast<size_t>(a)] * area;
      s[5] += g * area;
      s[6] += g * g * area;
      if (g > 0.0) s[7] += area;
      s[8] += 1;
      maxGap = std::max(maxGap, g);
    }
  MPI_Allreduce(MPI_IN_PLACE, s, 10, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  MPI_Allreduce(MPI_IN_PLACE, &maxGap, 1, MPI_DOUBLE, MPI_MAX, m_grid.comm());
  Json j;
  const double area = s[0];
  auto frac = [&](double x) { return area > 0 ? Json(x / area) : Json(nullptr); };
  j["interface_faces"] = static_cast<int64_t>(s[8]);
  j["interface_area"] = area;
  j["band_voxels"] = m_bandsGlobal;
  j["debonded_faces"] = static_cast<int64_t>(s[9]);
  j["debonded_area_fraction"] = frac(s[1]);
  j["damaged_area_fraction"] = frac(s[2]);
  j["mean_damage"] = frac(s[3]);
  j["mean_contact_fraction"] = frac(s[4]);
  j["open_area_fraction"] = frac(s[7]);
  j["mean_opening"] = frac(s[5]);
  j["rms_opening"] = area > 0 ? Json(std::sqrt(s[6] / area)) : Json(nullptr);
  j["mean_opening_of_open_faces"] = s[7] > 0 ? Json(s[5] / s[7]) : Json(nullptr);
  j["max_opening"] = maxGap;
  const double boxVolume = m_grid.geometry().voxelVolume() * static_cast<double>(m_grid.geometry().voxels());
  j["gap_volume"] = s[5];
  j["gap_volume_fraction"] = s[5] / boxVolume;
  return j;
}

}  // namespace ssb
