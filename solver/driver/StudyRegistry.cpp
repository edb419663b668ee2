#include "solver/driver/StudyRegistry.hpp"

#include <fmt/format.h>

#include "mesh/PhaseMap.hpp"
#include "mesh/VolumeSource.hpp"
#include "physics/Conductivity.hpp"
#include "physics/Mechanics.hpp"
#include "postprocess/Morphology.hpp"

namespace ssb {

namespace {

std::string num(const Json& j, const char* fmtSpec = "{:.4g}") {
  if (j.is_number()) return fmt::format(fmt::runtime(fmtSpec), j.get<double>());
  if (j.is_null()) return "n/a";
  return j.dump();
}

std::string conductivitySummary(const Json& r) {
  std::string out = fmt::format("  {:<4} {:>12} {:>14} {:>12} {:>11} {:>6}\n", "dir", "tortuosity",
                                "sigma_eff [S/m]", "vol. frac.", "percolates", "iters");
  if (!r.contains("directions")) return out;
  for (const auto& [dir, d] : r["directions"].items()) {
    out += fmt::format(
        "  {:<4} {:>12} {:>14} {:>12} {:>11} {:>6}\n", dir, num(d.value("tortuosity_factor", Json())),
        num(d.value("effective_conductivity", Json())), num(d.value("volume_fraction", Json())),
        d.value("percolates", false) ? "yes" : "no", num(d.value("iterations", Json()), "{:.0f}"));
  }
  return out;
}

std::string morphologySummary(const Json& r) {
  std::string out;
  if (r.contains("volume_fractions")) {
    out += "  volume fractions:";
    for (const auto& [ph, v] : r["volume_fractions"].items()) out += fmt::format("  {} {}", ph, num(v));
    out += "\n";
  }
  if (r.contains("coverage"))
    for (const auto& [ph, c] : r["coverage"].items())
      out += fmt::format("  coverage of {} by electrolyte: {}\n", ph,
                         num(c.value("electrolyte_fraction", Json())));
  if (r.contains("geodesic"))
    for (const auto& [ph, g] : r["geodesic"].items())
      for (const auto& [dir, d] : g.items())
        if (d.is_object() && d.contains("mean")) {
          if (d["mean"].is_null())
            out += fmt::format("  geometric tortuosity {} along {}: no path between the faces\n", ph, dir);
          else
            out += fmt::format("  geometric tortuosity {} along {}: mean {} (min {}, max {})\n", ph, dir,
                               num(d["mean"]), num(d.value("min", Json())), num(d.value("max", Json())));
        }
  if (r.contains("local_thickness"))
    for (const auto& [ph, t] : r["local_thickness"].items())
      if (t.is_object() && t.contains("mean"))
        out += fmt::format("  mean local thickness {}: {} m\n", ph, num(t["mean"]));
  return out;
}

}  // namespace

const std::vector<StudyType>& studyTypes() {
  static const std::vector<StudyType> types = {
      {"conductivity", &conductivitySchema(), runConductivity, conductivitySummary},
      {"morphology", &morphologySchema(), runMorphology, morphologySummary},
      {"mechanics", &mechanicsSchema(), runMechanics, mechanicsSummary},
  };
  return types;
}

const StudyType& studyType(const std::string& type, const std::string& context) {
  std::string known;
  for (const auto& t : studyTypes()) {
    if (t.type == type) return t;
    known += (known.empty() ? "" : ", ") + t.type;
  }
  throwInput("{}: unknown study type '{}' (known: {})", context, type, known);
}

const Schema& outputSchema() {
  static const Schema s = [] {
    Schema sc("output",
              "Where and what to write. results.json always; fields.h5 + fields.xdmf unless fields: false.");
    sc.text("dir", "results",
            "Output directory (created if missing). Relative paths are relative to the working "
            "directory.");
    sc.boolean("fields", "true", "Write fields.h5 + fields.xdmf (labels and computed fields) for ParaView.");
    sc.boolean("save_volume", "false",
               "Also write the (generated or cropped) labels as labels.tif, labels.h5 "
               "(dataset `labels`) and labels.raw (uint8, or uint16 little-endian), shape "
               "(z, y, x).");
    return sc;
  }();
  return s;
}

const Schema& caseSchema() {
  static const Schema s = [] {
    Schema sc("(case file)", "Top level of a case YAML file.");
    sc.declare("volume", ParamType::Section, std::nullopt, "The segmented volume (file or generator).")
        .nest(volumeSchema());
    sc.declare("phases", ParamType::SectionList, std::nullopt,
               "Label -> phase table. Every label present in the volume must be claimed.")
        .nest(phaseSchema());
    sc.declare(
        "studies", ParamType::Any, "[]",
        "List of studies, each a mapping with `type:` (conductivity, morphology) and the keys of that type.");
    sc.declare("output", ParamType::Section, "{}", "Output settings.").nest(outputSchema());
    return sc;
  }();
  return s;
}

std::vector<const Schema*> allSchemas() {
  std::vector<const Schema*> all = {&caseSchema()};
  for (const auto& t : studyTypes()) all.push_back(t.schema);
  return all;
}

}  // namespace ssb
