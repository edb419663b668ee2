#include "mesh/Generator.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "solver/core/Log.hpp"
#include "solver/core/Random.hpp"

namespace ssb {

namespace {

const Schema& shapeSchema() {
  static const Schema s = [] {
    Schema sc("volume.generate.shapes[]",
              "One analytic primitive, painted in list order (later ones overwrite).");
    sc.choice("type", std::nullopt, {"sphere", "box", "cylinder"}, "Primitive type.");
    sc.declare("center", ParamType::RealList, std::nullopt,
               "sphere / cylinder: centre [z, y, x] in voxel units (voxel i spans [i, i+1)); cylinder: the "
               "coordinate along its axis is ignored.")
        .makeOptional();
    sc.real("radius", "0", "", 0, 1e9, "sphere / cylinder radius in voxels.");
    sc.declare("lo", ParamType::IntList, std::nullopt, "box: first voxel [z, y, x] (inclusive).")
        .makeOptional();
    sc.declare("hi", ParamType::IntList, std::nullopt, "box: end voxel [z, y, x] (exclusive).")
        .makeOptional();
    sc.choice("axis", "z", {"x", "y", "z"}, "cylinder axis.");
    sc.integer("label", "1", 0, 65535, "Label painted inside the primitive.");
    return sc;
  }();
  return s;
}

// A target of the twin: value and tolerance in `unit` ("m" for sizes, "1" for fractions).
Schema targetSchema(const std::string& path, const std::string& doc, const std::string& unit, double maxValue,
                    bool withFace) {
  Schema sc(path, doc);
  sc.real("value", std::nullopt, unit, 0, maxValue,
          "Target value" + std::string(unit == "m" ? " [m]." : " [1]."), unit == "m");
  sc.real("tolerance", std::nullopt, unit, 0, kInf,
          "Accepted abs(achieved - value)" + std::string(unit == "m" ? " [m]" : " [1]") + "; > 0.", true);
  if (withFace)
    sc.choice("face", "z-", {"x-", "x+", "y-", "y+", "z-", "z+"},
              "Domain face of the current collector (the morphology study's connected_to).");
  return sc;
}

const Schema& twinSchema() {
  static const Schema lengthT = targetSchema(
      "volume.generate.twin.<size target>",
      "A size target (active_d50, electrolyte_d50, electrolyte_thickness): value and tolerance as lengths.",
      "m", 1, false);
  static const Schema fracT = targetSchema("volume.generate.twin.coverage",
                                           "Share of the active phase's interface area that borders the "
                                           "electrolyte (morphology coverage.<active>.electrolyte_fraction).",
                                           "1", 1, false);
  static const Schema connT =
      targetSchema("volume.generate.twin.connected",
                   "Share of the active phase's volume in clusters touching `face` (morphology "
                   "connectivity.<active>.connected_to.fraction).",
                   "1", 1, true);
  static const Schema s = [] {
    Schema sc(
        "volume.generate.twin",
        "Morphology targets of `kind: twin` (docs/studies.md, Digital twins). Every target is optional; "
        "each is measured with the morphology study's own metrics on the generated volume and met within "
        "its tolerance, or the run stops with a RunError listing target, tolerance and achieved value.");
    sc.declare(
          "volume_fractions", ParamType::RealMap, "{}",
          "Target volume fraction per phase name (the phases of active_label, electrolyte_label, "
          "pore_label), e.g. {NMC: 0.444, LPS: 0.386, pore: 0.167}; all three may be given (their sum is "
          "spread evenly), each within volume_fraction_tolerance.")
        .withUnit("1")
        .range(0, 1);
    sc.real("volume_fraction_tolerance", "0.005", "1", 0, 0.5,
            "Accepted abs(achieved - target) of each volume fraction [1]; > 0.", true);
    sc.declare("active_d50", ParamType::Section, std::nullopt,
               "Number-weighted median equivalent diameter of the active particles after the watershed split "
               "(morphology particles.<active>.d50) [m]; tunes `radius`.")
        .nest(lengthT)
        .makeOptional();
    sc.declare("electrolyte_d50", ParamType::Section, std::nullopt,
               "Median equivalent diameter of the electrolyte's watershed particles (morphology "
               "particles.<electrolyte>.d50) [m]; tunes `pore_radius` unless electrolyte_thickness is "
               "given (then it is only checked).")
        .nest(lengthT)
        .makeOptional();
    sc.declare(
          "electrolyte_thickness", ParamType::Section, std::nullopt,
          "Mean local thickness of the electrolyte (morphology local_thickness.<electrolyte>.mean, border "
          "open) [m]; tunes `pore_radius`.")
        .nest(lengthT)
        .makeOptional();
    sc.declare("coverage", ParamType::Section, std::nullopt,
               "Coverage of the active phase by the electrolyte [1]; tunes `pore_contact`.")
        .nest(fracT)
        .makeOptional();
    sc.declare(
          "connected", ParamType::Section, std::nullopt,
          "Share of the active phase connected to the current-collector face [1]; checked, not tuned (the "
          "composite generator has no parameter that moves it on its own).")
        .nest(connT)
        .makeOptional();
    sc.integer("max_passes", "4", 1, 100, "Outer passes over the tuned parameters.");
    sc.integer("max_evaluations", "40", 1, 10000,
               "Generated and measured volumes at most (each is one generation plus the metrics).");
    return sc;
  }();
  return s;
}

}  // namespace

const Schema& generatorSchema() {
  static const Schema s = [] {
    Schema sc(
        "volume.generate",
        "Seeded synthetic microstructure, identical for any rank count. Lengths are in voxels. Kinds: "
        "`sphere_pack` (periodic overlapping spheres of one integer radius, bit-identical to "
        "shared/research/tortuosity_baseline/make_sphere_pack.py; label 1 = pore, 0 = solid), `spheres` "
        "(polydisperse log-normal radii, overlapping or not), `ellipsoids` (aligned or randomly oriented), "
        "`layers`, `composite` (active particles + electrolyte + pores at target volume fractions), `twin` "
        "(the "
        "composite with its radii, pore placement and fractions tuned to the morphology targets of `twin:`), "
        "`shapes` (explicit primitives for analytic tests).");
    sc.choice("kind", std::nullopt,
              {"sphere_pack", "spheres", "ellipsoids", "layers", "composite", "twin", "shapes"},
              "Generator.");
    sc.declare("shape", ParamType::IntList, std::nullopt, "[nz, ny, nx] voxels.").range(1, kInf);
    sc.integer("seed", "1", 0, 9.2e18, "RNG seed (SplitMix64).");
    sc.boolean("periodic", "false",
               "Wrap particles across the domain faces (sphere_pack is always periodic).");
    sc.real("radius", "6", "", 0.5, 1e6,
            "sphere_pack: integer radius; spheres/composite: mean particle radius.");
    sc.real("radius_std", "0", "", 0, 1e6,
            "spheres: standard deviation of the log-normal radius distribution.");
    sc.real("volume_fraction", "0.3", "", 0, 1,
            "sphere_pack: solid fraction; spheres/ellipsoids: particle fraction.");
    sc.boolean("overlap", "true",
               "spheres/ellipsoids: allow particles to overlap (false = random sequential addition).");
    sc.integer("label", "1", 0, 65535, "spheres/ellipsoids: particle label.");
    sc.integer("background", "0", 0, 65535, "spheres/ellipsoids/shapes: label of the rest.");
    sc.declare("semi_axes", ParamType::RealList, "[8, 4, 4]",
               "ellipsoids: semi-axes [a, b, c] in voxels; aligned: a along z, b along y, c along x.")
        .range(0.5, kInf);
    sc.choice("orientation", "aligned", {"aligned", "random"}, "ellipsoids: orientation.");
    sc.choice("axis", "z", {"x", "y", "z"}, "layers: stacking axis.");
    sc.declare("thicknesses", ParamType::IntList, "[4, 4]",
               "layers: thickness of each layer in voxels, repeated to fill the axis.")
        .range(1, kInf);
    sc.declare("layer_labels", ParamType::IntList, "[0, 1]",
               "layers: label of each layer (same length as thicknesses).")
        .range(0, 65535);
    sc.real("active_fraction", "0.5", "", 0, 0.95,
            "composite: target volume fraction of the active particles.");
    sc.real("pore_fraction", "0.05", "", 0, 0.9, "composite: target volume fraction of pores.");
    sc.real("active_radius_std", "0", "", 0, 1e6,
            "composite: std of the log-normal active particle radius (voxels).");
    sc.real("pore_radius", "2", "", 0.5, 1e6, "composite: mean pore radius (voxels).");
    sc.real("pore_radius_std", "0", "", 0, 1e6, "composite: std of the log-normal pore radius (voxels).");
    sc.real(
        "pore_contact", "0.5", "", 0, 1,
        "composite: where pores go. A candidate pore whose ball grown by one voxel holds active voxels is "
        "kept with probability min(1, 2 c), any other with min(1, 2 (1 - c)): 0.5 = anywhere (unbiased), 1 "
        "= only against active particles (low coverage of the active phase by the electrolyte), 0 = never "
        "touching them.");
    sc.integer("active_label", "2", 0, 65535, "composite: label of active particles.");
    sc.integer("electrolyte_label", "1", 0, 65535, "composite: label of the electrolyte.");
    sc.integer("pore_label", "0", 0, 65535, "composite: label of pores.");
    sc.real("tolerance", "0.002", "", 1e-6, 0.05,
            "Stop when a target volume fraction is met within this absolute value.");
    sc.declare(
          "twin", ParamType::Section, std::nullopt,
          "twin: the morphology targets and the tuning budget; the composite keys are the starting point.")
        .nest(twinSchema())
        .makeOptional();
    sc.declare("shapes", ParamType::SectionList, std::nullopt, "shapes: list of primitives.")
        .nest(shapeSchema())
        .makeOptional();
    return sc;
  }();
  return s;
}

namespace {

// A primitive in voxel coordinates (x, y, z); voxel (i, j, k) has its centre at (i + 0.5, j + 0.5, k + 0.5).
struct Shape {
  enum Type { Sphere, Ellipsoid, Box, Cylinder } type = Sphere;
  std::array<double, 3> c{};                             // centre (x, y, z)
  double r = 0;                                          // sphere / cylinder radius
  std::array<double, 3> semi{};                          // ellipsoid semi-axes along its local axes
  double rot[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};  // rows: local axes in (x, y, z)
  std::array<int64_t, 3> lo{}, hi{};                     // box
  int axis = kZ;                                         // cylinder
  double extent() const {
    if (type == Sphere || type == Cylinder) return r;
    return std::max({semi[0], semi[1], semi[2]});
  }
  bool inside(double dx, double dy, double dz) const {  // offsets from the centre
    switch (type) {
      case Sphere:
        return dx * dx + dy * dy + dz * dz <= r * r;
      case Cylinder: {
        double d[3] = {dx, dy, dz};
        d[axis] = 0;
        return d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r;
      }
      case Ellipsoid: {
        double q = 0;
        for (int a = 0; a < 3; ++a) {
          double u = rot[a][0] * dx + rot[a][1] * dy + rot[a][2] * dz;
          q += u * u / (semi[a] * semi[a]);
        }
        return q <= 1.0;
      }
      case Box:
        return true;
    }
    return false;
  }
};

class Painter {
 public:
  Painter(const StructuredGrid& grid, std::vector<uint16_t>& labels, bool periodic)
      : m_grid(grid), m_labels(labels), m_periodic(periodic) {}

  // Count (commit=false) or paint (commit=true) the owned voxels inside `s` whose current label passes
  // `canPaint` and differs from `label`. Returns the local number of such voxels. Not collective.
  template <typename Pred>
  int64_t paint(const Shape& s, uint16_t label, Pred canPaint, bool commit) {
    int64_t changed = 0;
    forEachInside(s, [&](int64_t li, double, double, double) {
      uint16_t& l = m_labels[static_cast<size_t>(li)];
      if (l == label || !canPaint(l)) return;
      ++changed;
      if (commit) l = label;
    });
    return changed;
  }

  // Call f(localIndex, dx, dy, dz) for every owned voxel whose centre lies inside `s` (offsets from the
  // shape's centre in voxels, unwrapped across periodic sides). Not collective.
  template <typename F>
  void forEachInside(const Shape& s, F f) const {
    const auto& n = m_grid.geometry().n;
    const Box3& own = m_grid.owned();
    std::array<int64_t, 3> lo, hi;
    for (int a = 0; a < 3; ++a) {
      if (s.type == Shape::Box) {
        lo[a] = s.lo[a];
        hi[a] = s.hi[a];
      } else if (s.type == Shape::Cylinder && a == s.axis) {
        lo[a] = 0;
        hi[a] = n[a];
      } else {
        lo[a] = static_cast<int64_t>(std::floor(s.c[a] - s.extent() - 0.5));
        hi[a] = static_cast<int64_t>(std::ceil(s.c[a] + s.extent() + 0.5)) + 1;
      }
      if (!m_periodic || s.type == Shape::Box || (s.type == Shape::Cylinder && a == s.axis)) {
        lo[a] = std::max<int64_t>(lo[a], 0);
        hi[a] = std::min<int64_t>(hi[a], n[a]);
      } else if (hi[a] - lo[a] > n[a]) {
        hi[a] = lo[a] + n[a];  // a particle larger than the box: visit each voxel once
      }
    }
    for (int64_t kk = lo[2]; kk < hi[2]; ++kk) {
      int64_t k = wrap(kk, n[2]);
      if (k < own.lo[2] || k >= own.lo[2] + own.size[2]) continue;
      for (int64_t jj = lo[1]; jj < hi[1]; ++jj) {
        int64_t j = wrap(jj, n[1]);
        if (j < own.lo[1] || j >= own.lo[1] + own.size[1]) continue;
        for (int64_t ii = lo[0]; ii < hi[0]; ++ii) {
          int64_t i = wrap(ii, n[0]);
          if (i < own.lo[0] || i >= own.lo[0] + own.size[0]) continue;
          const double dx = ii + 0.5 - s.c[0], dy = jj + 0.5 - s.c[1], dz = kk + 0.5 - s.c[2];
          if (!s.inside(dx, dy, dz)) continue;
          f(m_grid.localIndex(i, j, k), dx, dy, dz);
        }
      }
    }
  }

 private:
  static int64_t wrap(int64_t i, int64_t n) { return ((i % n) + n) % n; }
  const StructuredGrid& m_grid;
  std::vector<uint16_t>& m_labels;
  bool m_periodic;
};

int64_t globalSum(MPI_Comm comm, int64_t x) {
  int64_t y = 0;
  MPI_Allreduce(&x, &y, 1, MPI_INT64_T, MPI_SUM, comm);
  return y;
}

// Adds shapes from `draw` until the painted voxel count reaches `target` (within `tol` voxels). Each
// candidate is counted globally first; one that would overshoot past the tolerance is rejected (a smaller or
// more overlapping one will follow), so small boxes with big particles still land on the target.
template <typename Draw, typename Pred>
int64_t fillToTarget(MPI_Comm comm, Painter& painter, int64_t start, int64_t target, int64_t tol,
                     uint16_t label, Draw draw, Pred canPaint, const std::string& what,
                     int64_t* accepted = nullptr, const std::function<void(const Shape&)>& onAccept = {}) {
  int64_t count = start;
  int rejections = 0;
  int64_t shapes = 0;
  while (count < target - tol) {
    Shape s;
    if (!draw(s)) break;
    int64_t add = globalSum(comm, painter.paint(s, label, canPaint, false));
    if (add == 0) {
      if (++rejections > 200000) break;
      continue;
    }
    if (count + add > target + tol && rejections < 2000) {
      ++rejections;
      continue;
    }
    painter.paint(s, label, canPaint, true);
    if (onAccept) onAccept(s);
    count += add;
    ++shapes;
  }
  if (count < target - tol)
    throwInput(
        "volume.generate: could not reach the target {} ({} voxels wanted, {} reached); lower the "
        "fraction, use smaller particles or allow overlap",
        what, target, count);
  if (accepted) *accepted = shapes;
  return count;
}

void randomRotation(SplitMix64& rng, double rot[3][3]) {
  // Uniform random rotation from a unit quaternion (Shoemake).
  double u1 = rng.uniform(), u2 = rng.uniform(), u3 = rng.uniform();
  double a = std::sqrt(1 - u1), b = std::sqrt(u1);
  double q[4] = {a * std::sin(2 * std::numbers::pi * u2), a * std::cos(2 * std::numbers::pi * u2),
                 b * std::sin(2 * std::numbers::pi * u3), b * std::cos(2 * std::numbers::pi * u3)};
  double w = q[0], x = q[1], y = q[2], z = q[3];
  double m[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
                    {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
                    {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rot[i][j] = m[i][j];
}

// make_sphere_pack.py, bit for bit: integer centres by multiply-shift, ball offsets d^2 <= r^2, periodic.
void spherePack(const Params& gen, const StructuredGrid& grid, std::vector<uint16_t>& labels) {
  const auto& n = grid.geometry().n;
  const Box3& own = grid.owned();
  const int64_t r = std::lround(gen.real("radius"));
  std::fill(labels.begin(), labels.end(), uint16_t{1});
  const int64_t total = grid.geometry().voxels();
  const int64_t target =
      static_cast<int64_t>(std::ceil(gen.real("volume_fraction") * static_cast<double>(total) - 1e-9));
  SplitMix64 rng(static_cast<uint64_t>(gen.integer("seed")));
  int64_t count = 0, spheres = 0;
  while (count < target) {
    int64_t c[3];
    for (int a = 0; a < 3; ++a)
      c[a] = static_cast<int64_t>(((rng.next() >> 32) * static_cast<uint64_t>(n[a])) >> 32);
    int64_t local = 0;
    for (int64_t dk = -r; dk <= r; ++dk) {
      int64_t k = ((c[2] + dk) % n[2] + n[2]) % n[2];
      if (k < own.lo[2] || k >= own.lo[2] + own.size[2]) continue;
      for (int64_t dj = -r; dj <= r; ++dj) {
        int64_t j = ((c[1] + dj) % n[1] + n[1]) % n[1];
        if (j < own.lo[1] || j >= own.lo[1] + own.size[1]) continue;
        for (int64_t di = -r; di <= r; ++di) {
          if (di * di + dj * dj + dk * dk > r * r) continue;
          int64_t i = ((c[0] + di) % n[0] + n[0]) % n[0];
          if (i < own.lo[0] || i >= own.lo[0] + own.size[0]) continue;
          uint16_t& l = labels[grid.localIndex(i, j, k)];
          if (l == 1) {
            l = 0;
            ++local;
          }
        }
      }
    }
    count += globalSum(grid.comm(), local);
    ++spheres;
  }
  Log::info("sphere_pack: {} spheres, solid fraction {:.6f}", spheres, static_cast<double>(count) / total);
}

}  // namespace

void checkGeneratorParams(const Params& gen) {
  auto shape = gen.integers("shape");
  if (shape.size() != 3) throwInput("{}: expected [nz, ny, nx]", gen.keyPath("shape"));
  const std::string kind = gen.text("kind");
  if (kind == "sphere_pack" &&
      std::abs(gen.real("radius") - static_cast<double>(std::lround(gen.real("radius")))) > 1e-12)
    throwInput("{}: sphere_pack needs an integer radius", gen.keyPath("radius"));
  if (kind == "ellipsoids" && gen.reals("semi_axes").size() != 3)
    throwInput("{}: expected [a, b, c]", gen.keyPath("semi_axes"));
  if (kind == "layers") {
    const auto th = gen.integers("thicknesses"), ll = gen.integers("layer_labels");
    if (th.size() != ll.size() || th.empty())
      throwInput("{}: thicknesses and layer_labels need the same, non-zero length", gen.path());
  }
  if (kind == "twin" && !gen.has("twin"))
    throwInput("{}: kind twin needs a `twin:` section with the morphology targets", gen.path());
  if (kind == "composite" || kind == "twin") {
    const long act = gen.integer("active_label"), ely = gen.integer("electrolyte_label"),
               pore = gen.integer("pore_label");
    if (act == ely || act == pore || ely == pore) throwInput("{}: the three labels must differ", gen.path());
  }
  if (kind == "shapes") {
    const auto list = gen.sections("shapes");
    if (list.empty()) throwInput("{}: kind shapes needs a `shapes:` list", gen.path());
    for (const auto& sp : list) {
      const std::string t = sp.text("type");
      for (const char* key :
           t == "box" ? std::vector<const char*>{"lo", "hi"} : std::vector<const char*>{"center"}) {
        if (!sp.has(key)) throwInput("{}: {} needs `{}`", sp.path(), t, key);
        if (sp.reals(key).size() != 3) throwInput("{}: expected [z, y, x]", sp.keyPath(key));
      }
    }
  }
}

Volume generateVolume(MPI_Comm comm, const Params& gen, double spacing) {
  checkGeneratorParams(gen);
  auto shape = gen.integers("shape");
  VoxelGrid g;
  g.n = {shape[2], shape[1], shape[0]};
  g.spacing = {spacing, spacing, spacing};
  Volume v;
  v.grid = std::make_unique<StructuredGrid>(comm, g);
  const std::string kind = gen.text("kind");
  v.source = "generated:" + kind;
  const StructuredGrid& grid = *v.grid;
  const int64_t total = g.voxels();
  const double tolFrac = gen.real("tolerance");
  const int64_t tol = std::max<int64_t>(1, static_cast<int64_t>(tolFrac * static_cast<double>(total)));
  v.labels.assign(static_cast<size_t>(grid.owned().voxels()),
                  static_cast<uint16_t>(gen.integer("background")));
  SplitMix64 rng(static_cast<uint64_t>(gen.integer("seed")));
  const bool periodic = gen.boolean("periodic");
  Painter painter(grid, v.labels, periodic);
  auto anywhere = [](uint16_t) { return true; };
  auto randomCentre = [&](Shape& s) {
    for (int a = 0; a < 3; ++a) s.c[a] = rng.uniform() * static_cast<double>(g.n[a]);
  };

  if (kind == "sphere_pack") {
    spherePack(gen, grid, v.labels);
  } else if (kind == "spheres" || kind == "ellipsoids") {
    const uint16_t label = static_cast<uint16_t>(gen.integer("label"));
    const bool overlap = gen.boolean("overlap");
    const double rMean = gen.real("radius"), rStd = gen.real("radius_std");
    auto semi = gen.reals("semi_axes");
    const bool randomOrient = gen.text("orientation") == "random";
    std::vector<Shape> placed;
    auto draw = [&](Shape& s) {
      for (int attempt = 0; attempt < 100000; ++attempt) {
        randomCentre(s);
        if (kind == "spheres") {
          s.type = Shape::Sphere;
          s.r = rng.logNormal(rMean, rStd);
        } else {
          s.type = Shape::Ellipsoid;
          s.semi = {semi[0], semi[1], semi[2]};
          if (randomOrient) {
            randomRotation(rng, s.rot);
          } else {  // a along z, b along y, c along x
            double r[3][3] = {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) s.rot[i][j] = r[i][j];
          }
        }
        if (overlap) return true;
        bool clash = false;
        for (const auto& p : placed) {
          double d2 = 0;
          for (int a = 0; a < 3; ++a) {
            double d = s.c[a] - p.c[a];
            if (periodic) d -= std::round(d / static_cast<double>(g.n[a])) * static_cast<double>(g.n[a]);
            d2 += d * d;
          }
          double minD = s.extent() + p.extent() + 1.0;  // one voxel gap so rasterised particles do not touch
          if (d2 < minD * minD) {
            clash = true;
            break;
          }
        }
        if (!clash) return true;
      }
      return false;
    };
    int64_t target =
        static_cast<int64_t>(std::llround(gen.real("volume_fraction") * static_cast<double>(total)));
    int64_t shapes = 0;
    int64_t count =
        fillToTarget(comm, painter, 0, target, tol, label, draw, anywhere, kind + " volume_fraction", &shapes,
                     [&](const Shape& s) { placed.push_back(s); });
    Log::info("{}: {} particles, fraction {:.4f}", kind, shapes, static_cast<double>(count) / total);
  } else if (kind == "layers") {
    auto th = gen.integers("thicknesses");
    auto ll = gen.integers("layer_labels");
    int axis = gen.text("axis") == "x" ? kX : gen.text("axis") == "y" ? kY : kZ;
    int64_t period = 0;
    for (long t : th) period += t;
    grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
      const int64_t idx[3] = {i, j, k};
      int64_t pos = idx[axis] % period;
      size_t layer = 0;
      while (pos >= th[layer]) pos -= th[layer++];
      v.labels[static_cast<size_t>(li)] = static_cast<uint16_t>(ll[layer]);
    });
  } else if (kind == "twin") {
    throwRun("{}: kind twin is tuned by the case runner (postprocess/Twin), not generated here", gen.path());
  } else if (kind == "composite") {
    const uint16_t act = static_cast<uint16_t>(gen.integer("active_label"));
    const uint16_t ely = static_cast<uint16_t>(gen.integer("electrolyte_label"));
    const uint16_t pore = static_cast<uint16_t>(gen.integer("pore_label"));
    std::fill(v.labels.begin(), v.labels.end(), ely);
    const double ra = gen.real("radius"), rsa = gen.real("active_radius_std");
    const double rp = gen.real("pore_radius"), rsp = gen.real("pore_radius_std");
    auto drawActive = [&](Shape& s) {
      randomCentre(s);
      s.type = Shape::Sphere;
      s.r = rng.logNormal(ra, rsa);
      return true;
    };
    const double contact = gen.real("pore_contact");
    auto drawPore = [&](Shape& s) {
      for (int attempt = 0; attempt < 20000; ++attempt) {
        randomCentre(s);
        s.type = Shape::Sphere;
        s.r = rng.logNormal(rp, rsp);
        if (contact == 0.5) return true;  // unbiased: no extra draw, the volumes of earlier versions
        Shape grown = s;
        grown.r += 1.0;
        const bool touches =
            globalSum(comm, painter.paint(
                                grown, pore, [&](uint16_t l) { return l == act; }, false)) > 0;
        const double keep = touches ? std::min(1.0, 2 * contact) : std::min(1.0, 2 * (1 - contact));
        if (rng.uniform() < keep) return true;
      }
      return false;
    };
    int64_t ta = static_cast<int64_t>(std::llround(gen.real("active_fraction") * static_cast<double>(total)));
    int64_t tp = static_cast<int64_t>(std::llround(gen.real("pore_fraction") * static_cast<double>(total)));
    std::vector<Shape> activeSpheres;  // in the order they were accepted (identical on every rank)
    int64_t na = fillToTarget(comm, painter, 0, ta, tol, act, drawActive, anywhere, "active_fraction",
                              nullptr, [&](const Shape& s) { activeSpheres.push_back(s); });
    int64_t np = 0;
    if (tp > 0)
      np = fillToTarget(
          comm, painter, 0, tp, tol, pore, drawPore, [&](uint16_t l) { return l == ely; }, "pore_fraction");
    // Particle identity: an active voxel belongs to the sphere it lies deepest inside (largest r - distance),
    // so two overlapping spheres meet on the plane-like surface where their depths are equal (sintered
    // necks split between the two particles). Pores never replace active voxels.
    GeneratedParticles ids;
    ids.label = act;
    ids.id.assign(v.labels.size(), -1);
    std::vector<double> depth(v.labels.size(), -1.0);
    for (size_t si = 0; si < activeSpheres.size(); ++si) {
      const Shape& sp = activeSpheres[si];
      painter.forEachInside(sp, [&](int64_t li, double dx, double dy, double dz) {
        const auto l = static_cast<size_t>(li);
        const double d = sp.r - std::sqrt(dx * dx + dy * dy + dz * dz);
        if (v.labels[l] != act || d <= depth[l]) return;
        depth[l] = d;
        ids.id[l] = static_cast<int64_t>(si);
      });
    }
    // Spheres that lost every voxel to earlier ones have no voxel: count the ids in use, keep the numbers.
    std::vector<uint8_t> used(activeSpheres.size(), 0);
    for (int64_t id : ids.id)
      if (id >= 0) used[static_cast<size_t>(id)] = 1;
    if (!used.empty())
      MPI_Allreduce(MPI_IN_PLACE, used.data(), static_cast<int>(used.size()), MPI_UINT8_T, MPI_MAX, comm);
    ids.count = std::count(used.begin(), used.end(), uint8_t{1});
    v.particles = std::move(ids);
    Log::info("composite: active {:.4f}, pore {:.4f}, electrolyte {:.4f}", static_cast<double>(na) / total,
              static_cast<double>(np) / total, 1.0 - static_cast<double>(na + np) / total);
  } else if (kind == "shapes") {
    auto list = gen.sections("shapes");
    if (list.empty()) throwInput("{}: kind shapes needs a `shapes:` list", gen.path());
    for (const auto& sp : list) {
      Shape s;
      std::string t = sp.text("type");
      auto zyx = [&](const std::string& key, int64_t want) {
        if (!sp.has(key)) throwInput("{}: {} needs `{}`", sp.path(), t, key);
        auto r = sp.reals(key);
        if (static_cast<int64_t>(r.size()) != want) throwInput("{}: expected [z, y, x]", sp.keyPath(key));
        return std::array<double, 3>{r[2], r[1], r[0]};
      };
      if (t == "sphere" || t == "cylinder") {
        s.type = t == "sphere" ? Shape::Sphere : Shape::Cylinder;
        s.c = zyx("center", 3);
        s.r = sp.real("radius");
        s.axis = sp.text("axis") == "x" ? kX : sp.text("axis") == "y" ? kY : kZ;
      } else {
        s.type = Shape::Box;
        auto lo = zyx("lo", 3), hi = zyx("hi", 3);
        for (int a = 0; a < 3; ++a) {
          s.lo[a] = static_cast<int64_t>(lo[a]);
          s.hi[a] = static_cast<int64_t>(hi[a]);
        }
      }
      painter.paint(s, static_cast<uint16_t>(sp.integer("label")), anywhere, true);
    }
  }
  return v;
}

}  // namespace ssb
