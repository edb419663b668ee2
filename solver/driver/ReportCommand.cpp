#include "solver/driver/ReportCommand.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Plot.hpp"
#include "solver/core/Text.hpp"
#include "solver/core/Version.hpp"
#include "solver/driver/Measured.hpp"

namespace ssb {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxTableResults = 12;  // result columns of the cases table without --y
constexpr std::size_t kMaxListed = 40;        // left-out charts named one by one

// ---------- text ----------

std::string num(double v) { return fmt::format("{:.5g}", v); }

// A Markdown table cell: no line breaks, '|' escaped.
std::string cell(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|')
      o += "\\|";
    else if (c == '\n' || c == '\r')
      o += ' ';
    else
      o += c;
  }
  return o;
}

std::string unitText(const std::string& unit) { return unit.empty() ? "–" : unit; }

std::string header(const std::string& name, const std::string& unit) {
  return unit.empty() ? name : name + " [" + unit + "]";
}

std::string tableRow(const std::vector<std::string>& cells) {
  std::string r = "|";
  for (const auto& c : cells) {
    r.push_back(' ');
    r.append(cell(c));
    r.append(" |");
  }
  r.push_back('\n');
  return r;
}

std::string tableHead(const std::vector<std::string>& cells) {
  std::string r = tableRow(cells) + "|";
  for (std::size_t i = 0; i < cells.size(); ++i) r += "---|";
  return r + "\n";
}

std::string hashes(int level) { return std::string(static_cast<std::size_t>(level), '#') + " "; }

// A file name from a result path: letters, digits, '-', the rest '_'.
std::string fileSafe(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return o;
}

// The number a cell holds, when all of it is one (finite); not booleans, not empty cells.
std::optional<double> numberOf(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A swept input as written: "0.05", "0.3 mS/cm" -> number and unit text.
struct Quantity {
  double value = 0.0;
  std::string unit;
};
std::optional<Quantity> quantityOf(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || !std::isfinite(v)) return std::nullopt;
  const std::string rest = trim(std::string(end));
  if (!rest.empty() && !(std::isalpha(static_cast<unsigned char>(rest[0])) || rest[0] == '%'))
    return std::nullopt;  // "1, 2]" and the like
  return Quantity{v, rest};
}

// ---------- files ----------

std::string readText(const fs::path& p) {
  std::ifstream is(p, std::ios::binary);
  if (!is) throwInput("report: cannot read {}", p.string());
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

Json readJson(const fs::path& p) {
  const std::string text = readText(p);
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    throwInput("report: {} is not valid JSON ({}); rerun the case that wrote it, or remove it", p.string(),
               e.what());
  }
}

std::string jsonString(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const Json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::optional<double> jsonNumber(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string numberText(const std::optional<double>& v) { return v ? num(*v) : "–"; }

// The folder of a case or evaluation that the sweep / calibration recorded as `recorded` (a path relative
// to where it ran): <dir>/<its name> when that exists (the folder may have moved), else the path as written.
fs::path caseFolder(const fs::path& dir, const std::string& name, const std::string& recorded) {
  if (!name.empty() && fs::is_directory(dir / name)) return dir / name;
  const fs::path r(recorded);
  if (!r.empty() && fs::is_directory(dir / r.filename())) return dir / r.filename();
  return r;
}

// ---------- one measured comparison ----------

struct MeasuredRow {
  std::string caseName, result, unit, source, error;
  std::optional<double> simulated, measured, uncertainty, ratio;
  std::optional<bool> within;
};

std::vector<MeasuredRow> measuredRows(const Json& results, const std::string& caseName) {
  std::vector<MeasuredRow> out;
  if (!results.is_object() || !results.contains("measured") || !results["measured"].is_array()) return out;
  for (const auto& m : results["measured"]) {
    MeasuredRow r;
    r.caseName = caseName;
    r.result = jsonString(m, "result");
    r.unit = jsonString(m, "unit");
    r.source = jsonString(m, "source");
    r.error = jsonString(m, "error");
    r.simulated = jsonNumber(m, "simulated");
    r.measured = jsonNumber(m, "measured");
    r.uncertainty = jsonNumber(m, "uncertainty");
    r.ratio = jsonNumber(m, "ratio");
    if (m.contains("within_uncertainty") && m["within_uncertainty"].is_boolean())
      r.within = m["within_uncertainty"].get<bool>();
    out.push_back(r);
  }
  return out;
}

// ---------- results.csv ----------

struct Column {
  std::string name, unit;
  enum class Kind { Meta, Input, Result } kind = Kind::Result;
};

struct SweepTable {
  fs::path file;
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;  // cells, as many as columns
  std::size_t caseCol = 0, statusCol = 0, errorCol = 0;

  std::optional<std::size_t> find(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns[i].name == name) return i;
    return std::nullopt;
  }
  bool ok(std::size_t row) const { return rows[row][statusCol] == "ok"; }
};

SweepTable readSweepTable(const fs::path& file, const Json& sweep) {
  SweepTable t;
  t.file = file;
  auto cells = parseCsv(readText(file), file.string());
  if (cells.empty())
    throwInput("report: {} is empty; expected a header line (case,status,...)", file.string());
  std::set<std::string> inputs;
  if (sweep.is_object() && sweep.contains("cases"))
    for (const auto& c : sweep["cases"])
      if (c.contains("inputs") && c["inputs"].is_object())
        for (const auto& [k, v] : c["inputs"].items()) inputs.insert(k);
  bool seenResult = false;
  for (const auto& h : cells[0]) {
    Column c;
    const auto open = h.rfind(" [");
    if (!h.empty() && h.back() == ']' && open != std::string::npos) {
      c.name = h.substr(0, open);
      c.unit = h.substr(open + 2, h.size() - open - 3);
    } else {
      c.name = h;
    }
    if (c.name == "case" || c.name == "status" || c.name == "error")
      c.kind = Column::Kind::Meta;
    else if (!inputs.empty())
      c.kind = inputs.count(c.name) ? Column::Kind::Input : Column::Kind::Result;
    else  // no sweep.json: the inputs are the columns between status and the first one with a unit
      c.kind = (!seenResult && c.unit.empty()) ? Column::Kind::Input : Column::Kind::Result;
    seenResult = seenResult || c.kind == Column::Kind::Result;
    t.columns.push_back(c);
  }
  const auto need = [&](const char* name) {
    const auto i = t.find(name);
    if (!i)
      throwInput("report: {}: no column '{}' in the header (not a results.csv that ssbvox run wrote?)",
                 file.string(), name);
    return *i;
  };
  t.caseCol = need("case");
  t.statusCol = need("status");
  t.errorCol = need("error");
  t.rows.assign(cells.begin() + 1, cells.end());
  return t;
}

// The values of a column over the ok rows, when every non-empty one is a number.
struct NumericColumn {
  std::vector<std::optional<double>> values;  // per row (nullopt: failed row or empty cell)
  std::set<double> distinct;
};
std::optional<NumericColumn> numericColumn(const SweepTable& t, std::size_t col) {
  NumericColumn n;
  bool any = false;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& c = t.rows[r][col];
    if (!t.ok(r) || trim(c).empty()) {
      n.values.emplace_back();
      continue;
    }
    const auto v = numberOf(c);
    if (!v) return std::nullopt;
    n.values.push_back(v);
    n.distinct.insert(*v);
    any = true;
  }
  if (!any) return std::nullopt;
  return n;
}

// A swept input column as numbers with one unit, e.g. "0.3 mS/cm" in every row.
struct InputColumn {
  std::vector<std::optional<double>> values;
  std::string unit;
  std::set<double> distinct;
};
std::optional<InputColumn> inputColumn(const SweepTable& t, std::size_t col) {
  InputColumn in;
  bool first = true;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (!t.ok(r) || trim(t.rows[r][col]).empty()) {
      in.values.emplace_back();
      continue;
    }
    const auto q = quantityOf(t.rows[r][col]);
    if (!q || (!first && q->unit != in.unit)) return std::nullopt;
    in.unit = q->unit;
    first = false;
    in.values.push_back(q->value);
    in.distinct.insert(q->value);
  }
  if (first) return std::nullopt;
  return in;
}

bool selected(const std::vector<std::string>& filters, const std::string& name) {
  if (filters.empty()) return true;
  for (const auto& f : filters)
    if (name.find(f) != std::string::npos) return true;
  return false;
}

// The last key of a path: "volume.generate.seed" -> "seed", "studies[0].conductivities.LPS" -> "LPS".
std::string shortName(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::pair<double, double> rangeOf(const std::vector<double>& v) {
  double lo = INFINITY, hi = -INFINITY;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  return {lo, hi};
}

// More than a decade between the positive ends of a range.
bool spansDecade(double lo, double hi) { return lo > 0.0 && hi > 0.0 && hi / lo > 10.0; }

// ---------- the report ----------

class Report {
 public:
  Report(const ReportOptions& opt, const fs::path& md)
      : m_opt(opt), m_pngDir(md.parent_path() / md.stem()), m_link(md.stem().string()) {}

  std::string text;
  std::size_t charts = 0;

  // One folder of results at heading `level`; `prefix` keeps the chart names of sub-folders apart.
  // Returns false when the folder holds none.
  bool folder(const fs::path& dir, int level, const std::string& prefix, const std::string& title) {
    m_prefix = prefix;
    if (fs::exists(dir / "results.csv")) {
      sweep(dir, level, title);
      return true;
    }
    if (fs::exists(dir / "results.json")) {
      const Json r = readJson(dir / "results.json");
      if (r.is_object() && r.contains("calibration"))
        calibration(dir, r, level, title);
      else
        singleCase(r, level, title);
      return true;
    }
    return false;
  }

 private:
  const ReportOptions& m_opt;
  fs::path m_pngDir;
  std::string m_link, m_prefix;
  std::set<std::string> m_names;

  // Write a chart and return its Markdown image line.
  std::string chart(const std::string& stem, const PlotChart& c, const std::string& alt) {
    std::string name = fileSafe(m_prefix + stem);
    for (int k = 2; m_names.count(name); ++k) name = fileSafe(m_prefix + stem) + "_" + std::to_string(k);
    m_names.insert(name);
    std::error_code ec;
    fs::create_directories(m_pngDir, ec);
    if (ec) throwRun("report: cannot create {}: {}", m_pngDir.string(), ec.message());
    writeChartPng(m_pngDir / (name + ".png"), c);
    ++charts;
    return fmt::format("![{}]({}/{}.png)\n\n", alt, m_link, name);
  }

  void provenanceLine(const Json& record) {
    if (!record.is_object() || !record.contains("provenance")) return;
    const Json& p = record["provenance"];
    std::string s;
    if (!jsonString(p, "case_file").empty()) s += fmt::format("Case file: `{}`", jsonString(p, "case_file"));
    const std::string ver = jsonString(p, "version"), rev = jsonString(p, "git_revision");
    if (!ver.empty())
      s += fmt::format("{}ssbvox {}{}", s.empty() ? "" : "; ", ver, rev.empty() ? "" : " (" + rev + ")");
    if (!jsonString(p, "started_utc").empty()) s += fmt::format(", started {}", jsonString(p, "started_utc"));
    if (auto r = jsonNumber(p, "mpi_ranks")) s += fmt::format(", {} MPI rank{}", *r, *r == 1 ? "" : "s");
    if (auto w = jsonNumber(p, "wall_seconds")) s += fmt::format(", {} s wall", num(*w));
    if (!s.empty()) text += s + ".\n\n";
  }

  // ---- sweep ----
  void sweep(const fs::path& dir, int level, const std::string& title) {
    Json sj;
    const bool haveJson = fs::exists(dir / "sweep.json");
    if (haveJson) sj = readJson(dir / "sweep.json");
    const SweepTable t = readSweepTable(dir / "results.csv", sj);
    text += hashes(level) + "Sweep: " + title + "\n\n";
    provenanceLine(sj);
    if (!haveJson)
      text += "No sweep.json next to results.csv: provenance and per-case sources are unknown.\n\n";
    std::size_t ok = 0;
    std::vector<std::size_t> failed;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      if (t.ok(r))
        ++ok;
      else
        failed.push_back(r);
    }
    text += fmt::format("Cases: {} ({} ok, {} failed); data: `results.csv`{}.\n\n", t.rows.size(), ok,
                        failed.size(), haveJson ? ", `sweep.json`" : "");
    if (!failed.empty()) {
      text += "Failed cases:\n\n";
      for (std::size_t r : failed)
        text += fmt::format("- {}: {}\n", t.rows[r][t.caseCol], cell(t.rows[r][t.errorCol]));
      text += "\n";
    }
    casesTable(t, level + 1);
    bruggeman(t, level + 1);
    versusInputs(t, level + 1);

    // Measured: each case's results.json (with sources), else the csv's columns.
    std::vector<MeasuredRow> rows;
    std::map<std::string, fs::path> folders;
    if (sj.is_object() && sj.contains("cases"))
      for (const auto& c : sj["cases"])
        folders[jsonString(c, "case")] = caseFolder(dir, jsonString(c, "case"), jsonString(c, "dir"));
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const std::string name = t.rows[r][t.caseCol];
      const auto f = folders.find(name);
      if (f != folders.end() && fs::exists(f->second / "results.json")) {
        const auto m = measuredRows(readJson(f->second / "results.json"), name);
        rows.insert(rows.end(), m.begin(), m.end());
      } else {
        const auto m = measuredFromCsv(t, r);
        rows.insert(rows.end(), m.begin(), m.end());
      }
    }
    measuredSection(rows, level + 1, true);
  }

  std::vector<MeasuredRow> measuredFromCsv(const SweepTable& t, std::size_t r) {
    std::vector<MeasuredRow> out;
    if (!t.ok(r)) return out;
    const std::string suf = ".measured";
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const std::string& n = t.columns[c].name;
      if (n.size() <= suf.size() || n.compare(n.size() - suf.size(), suf.size(), suf) != 0) continue;
      const std::string base = n.substr(0, n.size() - suf.size());
      const auto sim = t.find(base);
      if (!sim || t.rows[r][c].empty()) continue;
      MeasuredRow m;
      m.caseName = t.rows[r][t.caseCol];
      m.result = base;
      m.unit = t.columns[c].unit;
      m.source = "(results.csv: no source recorded)";
      m.simulated = numberOf(t.rows[r][*sim]);
      m.measured = numberOf(t.rows[r][c]);
      if (auto u = t.find(base + ".uncertainty")) m.uncertainty = numberOf(t.rows[r][*u]);
      if (auto q = t.find(base + ".ratio")) m.ratio = numberOf(t.rows[r][*q]);
      if (auto w = t.find(base + ".within_uncertainty")) {
        if (t.rows[r][*w] == "true") m.within = true;
        if (t.rows[r][*w] == "false") m.within = false;
      }
      out.push_back(m);
    }
    return out;
  }

  void casesTable(const SweepTable& t, int level) {
    text += hashes(level) + "Cases\n\n";
    std::vector<std::size_t> inputs, results, more, constant;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const Column& col = t.columns[c];
      if (col.kind == Column::Kind::Input) inputs.push_back(c);
      if (col.kind != Column::Kind::Result) continue;
      std::set<std::string> values;
      for (std::size_t r = 0; r < t.rows.size(); ++r)
        if (t.ok(r) && !t.rows[r][c].empty()) values.insert(t.rows[r][c]);
      const bool varies = values.size() > 1;
      if (!m_opt.ySelect.empty()) {
        if (selected(m_opt.ySelect, col.name)) results.push_back(c);
      } else if (!varies) {
        if (values.size() == 1) constant.push_back(c);
      } else if (!isMeasuredColumn(col.name)) {
        (results.size() < kMaxTableResults ? results : more).push_back(c);
      }
    }
    std::vector<std::string> head = {"case", "status"};
    for (auto c : inputs) head.push_back(t.columns[c].name);
    for (auto c : results) head.push_back(header(t.columns[c].name, t.columns[c].unit));
    text += tableHead(head);
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      std::vector<std::string> row = {t.rows[r][t.caseCol], t.rows[r][t.statusCol]};
      for (auto c : inputs) row.push_back(t.rows[r][c]);
      for (auto c : results) {
        const auto v = numberOf(t.rows[r][c]);
        row.push_back(v ? num(*v) : t.rows[r][c]);
      }
      text += tableRow(row);
    }
    text += "\n";
    if (!more.empty()) {
      text += "Further varying results (select columns with `--y SUBSTRING`):";
      for (auto c : more) text += " `" + t.columns[c].name + "`";
      text += ".\n\n";
    }
    if (!constant.empty()) {
      text += "The same in every ok case:\n\n";
      for (auto c : constant) {
        for (std::size_t r = 0; r < t.rows.size(); ++r)
          if (t.ok(r) && !t.rows[r][c].empty()) {
            const auto v = numberOf(t.rows[r][c]);
            text += fmt::format("- `{}` = {}{}\n", t.columns[c].name, v ? num(*v) : t.rows[r][c],
                                t.columns[c].unit.empty() || !v ? "" : " " + t.columns[c].unit);
            break;
          }
      }
      text += "\n";
    }
  }

  // ---- tortuosity vs volume fraction ----
  void bruggeman(const SweepTable& t, int level) {
    text += hashes(level) + "Tortuosity factor vs volume fraction (Bruggeman fit)\n\n";
    text +=
        "Fit of tau = gamma eps^(1 - alpha) by linear least squares of log tau on log eps over the ok cases "
        "(eps: the study's conducting volume fraction, tau: its tortuosity factor eps sigma0 / sigma_eff), "
        "i.e. sigma_eff / sigma0 = eps^alpha / gamma. Classical Bruggeman: alpha = 1.5, gamma = 1 "
        "(tau = eps^-0.5, the reference curve). R^2 is that of the straight line in log-log.\n\n";
    bool any = false;
    std::string images;
    std::vector<std::vector<std::string>> rows;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const std::string& n = t.columns[c].name;
      if (t.columns[c].kind != Column::Kind::Result || shortName(n) != "tortuosity_factor") continue;
      const std::string base = n.substr(0, n.size() - std::string("tortuosity_factor").size());
      const auto e = t.find(base + "volume_fraction");
      if (!e) continue;
      any = true;
      std::vector<double> eps, tau;
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!t.ok(r)) continue;
        const auto x = numberOf(t.rows[r][*e]), y = numberOf(t.rows[r][c]);
        eps.push_back(x ? *x : NAN);
        tau.push_back(y ? *y : NAN);
      }
      BruggemanFit f;
      try {
        f = fitBruggeman(eps, tau);
      } catch (const InputError& err) {
        rows.push_back({n, std::to_string(eps.size()), "–", "–", "–", std::string("no fit: ") + err.what()});
        continue;
      }
      rows.push_back({n, std::to_string(f.points), num(f.alpha), num(f.gamma), num(f.rSquared), ""});
      PlotChart ch;
      ch.title = base.substr(0, base.size() - 1) + ": tortuosity factor vs volume fraction";
      ch.xLabel = header(t.columns[*e].name, t.columns[*e].unit);
      ch.yLabel = header(n, t.columns[c].unit);
      PlotSeries pts{fmt::format("cases ({})", f.points), eps, tau};
      pts.line = false;
      auto [lo, hi] = rangeOf(eps);
      const double pad = 0.1 * std::max(hi - lo, 0.05 * hi);
      lo = std::max(lo - pad, 0.5 * lo), hi = std::min(hi + pad, 1.0);
      PlotSeries fit{fmt::format("fit: alpha = {}, gamma = {}", num(f.alpha), num(f.gamma)), {}, {}};
      PlotSeries ref{"Bruggeman: tau = eps^-0.5", {}, {}};
      for (int k = 0; k <= 64; ++k) {
        const double x = lo + (hi - lo) * k / 64.0;
        fit.x.push_back(x);
        fit.y.push_back(f.gamma * std::pow(x, 1.0 - f.alpha));
        ref.x.push_back(x);
        ref.y.push_back(std::pow(x, -0.5));
      }
      ch.series = {pts, fit, ref};
      rows.back().back() = "below";
      images += fmt::format(
          "**{}**: alpha = {} (dimensionless), gamma = {} (dimensionless), R^2 = {}, {} points.\n\n", n,
          num(f.alpha), num(f.gamma), num(f.rSquared), f.points);
      images += chart("bruggeman_" + base.substr(0, base.size() - 1), ch, "Bruggeman fit of " + n);
    }
    if (!any) {
      text +=
          "No `<study>.directions.<d>.tortuosity_factor` column with a sibling `volume_fraction` in "
          "results.csv: nothing to fit.\n\n";
      return;
    }
    text += tableHead({"tortuosity factor", "points", "alpha [1]", "gamma [1]", "R^2 [1]", "chart"});
    for (const auto& r : rows) text += tableRow(r);
    text += "\n" + images;
  }

  // ---- every varying result vs every swept input ----
  void versusInputs(const SweepTable& t, int level) {
    text += hashes(level) + "Results vs swept inputs\n\n";
    std::vector<std::size_t> inputCols;
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (t.columns[c].kind == Column::Kind::Input) inputCols.push_back(c);
    if (!m_opt.xColumn.empty()) {
      const auto x = t.find(m_opt.xColumn);
      if (!x || t.columns[*x].kind != Column::Kind::Input) {
        std::string names;
        for (auto c : inputCols) names += (names.empty() ? "" : ", ") + t.columns[c].name;
        text += fmt::format("`--x {}` is not a swept input of this sweep (swept: {}).\n\n", m_opt.xColumn,
                            names.empty() ? "none" : names);
        return;
      }
    }
    // The rows' partition by each input's values: two inputs that vary together (a zip) have the same one.
    std::map<std::size_t, std::vector<std::size_t>> partitionOf;
    for (auto c : inputCols) {
      std::vector<std::size_t>& first = partitionOf[c];
      first.resize(t.rows.size());
      std::map<std::string, std::size_t> seen;
      for (std::size_t r = 0; r < t.rows.size(); ++r) first[r] = seen.emplace(t.rows[r][c], r).first->second;
    }
    auto partition = [&](std::size_t c) -> const std::vector<std::size_t>& { return partitionOf.at(c); };
    auto isComparison = [](const std::string& name) { return name.rfind("measured[", 0) == 0; };
    std::vector<std::pair<std::size_t, InputColumn>> xs;
    for (auto c : inputCols) {
      if (!m_opt.xColumn.empty() && t.columns[c].name != m_opt.xColumn) continue;
      if (m_opt.xColumn.empty() && isComparison(t.columns[c].name)) continue;  // measured values, not inputs
      if (m_opt.xColumn.empty()) {
        const auto same = std::find_if(xs.begin(), xs.end(),
                                       [&](const auto& x) { return partition(x.first) == partition(c); });
        if (same != xs.end()) {
          text += fmt::format("`{}` varies together with `{}` (zip): plotted against `{}` only.\n\n",
                              t.columns[c].name, t.columns[same->first].name, t.columns[same->first].name);
          continue;
        }
      }
      if (m_opt.xColumn.empty() && shortName(t.columns[c].name) == "seed") {
        text += fmt::format(
            "`{}` labels replicas: it tells the series apart and is not an axis (plot "
            "against it with `--x {}`).\n\n",
            t.columns[c].name, t.columns[c].name);
        continue;
      }
      auto in = inputColumn(t, c);
      if (in && in->distinct.size() >= 2)
        xs.emplace_back(c, *in);
      else
        text += fmt::format("`{}` is not plotted: {}.\n\n", t.columns[c].name,
                            in ? "fewer than two distinct values over the ok cases"
                               : "not a number (with one unit) in every ok case");
    }
    std::vector<std::pair<std::size_t, NumericColumn>> ys;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (t.columns[c].kind != Column::Kind::Result || !selected(m_opt.ySelect, t.columns[c].name)) continue;
      // The measured-value columns go to the simulated vs measured table instead.
      if (isMeasuredColumn(t.columns[c].name)) continue;
      auto v = numericColumn(t, c);
      if (v && v->distinct.size() >= 2) ys.emplace_back(c, *v);
    }
    if (xs.empty() || ys.empty()) {
      text += xs.empty() ? "No numeric swept input with two or more values: nothing to plot.\n\n"
                         : fmt::format("No result column {}varies between the ok cases: nothing to plot.\n\n",
                                       m_opt.ySelect.empty() ? "" : "selected by --y ");
      return;
    }
    std::vector<std::string> leftOut;
    std::size_t drawn = 0;
    for (const auto& [xc, xin] : xs) {
      // One series per combination of the other swept inputs (e.g. seed replicas).
      std::vector<std::size_t> others;  // inputs that vary independently of x
      for (auto c : inputCols)
        if (c != xc && !isComparison(t.columns[c].name) && partition(c) != partition(xc)) others.push_back(c);
      std::map<std::string, std::vector<std::size_t>> groups;
      std::vector<std::string> order;
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!xin.values[r]) continue;
        std::string key;
        for (auto c : others)
          key += (key.empty() ? "" : ", ") + shortName(t.columns[c].name) + " = " + t.rows[r][c];
        if (!groups.count(key)) order.push_back(key);
        groups[key].push_back(r);
      }
      const std::string xName = t.columns[xc].name;
      for (const auto& [yc, yv] : ys) {
        const std::string yName = t.columns[yc].name;
        if (drawn >= m_opt.maxPlots) {
          leftOut.push_back(fmt::format("`{}` vs `{}`", yName, xName));
          continue;
        }
        PlotChart ch;
        ch.title = yName;
        ch.xLabel = header(xName, xin.unit);
        ch.yLabel = header(yName, t.columns[yc].unit);
        std::vector<double> allX;
        for (const auto& key : order) {
          std::vector<std::size_t> rs = groups[key];
          std::sort(rs.begin(), rs.end(),
                    [&](std::size_t a, std::size_t b) { return *xin.values[a] < *xin.values[b]; });
          PlotSeries s{key, {}, {}};
          for (auto r : rs) {
            s.x.push_back(*xin.values[r]);
            s.y.push_back(yv.values[r] ? *yv.values[r] : NAN);
            allX.push_back(s.x.back());
          }
          ch.series.push_back(s);
        }
        const auto [lo, hi] = rangeOf(allX);
        ch.logX = spansDecade(lo, hi);
        // Room around the end points, so that markers are not drawn on the frame.
        ch.xRange = ch.logX ? std::make_pair(lo / 1.15, hi * 1.15)
                            : std::make_pair(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
        text += chart(fileSafe(yName) + "_vs_" + fileSafe(xName), ch, yName + " vs " + xName);
        ++drawn;
      }
    }
    if (!leftOut.empty()) {
      text += fmt::format(
          "{} more chart{} left out (at most {} per report section); choose them with "
          "`--y SUBSTRING` (repeatable) and `--x COLUMN`:",
          leftOut.size(), leftOut.size() == 1 ? "" : "s", m_opt.maxPlots);
      for (std::size_t i = 0; i < leftOut.size() && i < kMaxListed; ++i)
        text += (i ? ", " : " ") + leftOut[i];
      if (leftOut.size() > kMaxListed) text += fmt::format(" and {} more", leftOut.size() - kMaxListed);
      text += ".\n\n";
    }
  }

  // ---- simulated vs measured ----
  void measuredSection(const std::vector<MeasuredRow>& rows, int level, bool withCase,
                       const std::string& where = "") {
    text += hashes(level) + "Simulated vs measured" + where + "\n\n";
    if (rows.empty()) {
      text += "No measured values (`measured:` in the case file, docs/studies.md).\n\n";
      return;
    }
    std::vector<std::string> head;
    if (withCase) head.push_back("case");
    for (const char* h : {"result", "simulated", "measured ± uncertainty", "unit", "ratio [1]",
                          "within uncertainty", "source"})
      head.push_back(h);
    text += tableHead(head);
    std::vector<const MeasuredRow*> errors;
    for (const auto& m : rows) {
      if (!m.error.empty()) {
        errors.push_back(&m);
        continue;
      }
      std::vector<std::string> r;
      if (withCase) r.push_back(m.caseName);
      r.push_back(m.result);
      r.push_back(numberText(m.simulated));
      r.push_back(numberText(m.measured) + " ± " + numberText(m.uncertainty));
      r.push_back(unitText(m.unit));
      r.push_back(numberText(m.ratio));
      r.push_back(m.within ? (*m.within ? "yes" : "no") : "–");
      r.push_back(m.source.empty() ? "–" : m.source);
      text += tableRow(r);
    }
    text += "\n";
    for (const auto* m : errors)
      text += fmt::format("- {}{}: not compared: {}\n", withCase ? m->caseName + ", " : "", m->result,
                          cell(m->error));
    if (!errors.empty()) text += "\n";

    // Parity charts: one per unit with two or more comparisons, one series per result.
    std::map<std::string, std::vector<const MeasuredRow*>> byUnit;
    for (const auto& m : rows)
      if (m.error.empty() && m.simulated && m.measured) byUnit[m.unit].push_back(&m);
    bool drew = false;
    for (const auto& [unit, ms] : byUnit) {
      if (ms.size() < 2) continue;
      PlotChart ch;
      ch.title = "Simulated vs measured" + (unit.empty() ? std::string() : " [" + unit + "]");
      ch.xLabel = header("measured", unit);
      ch.yLabel = header("simulated", unit);
      std::vector<std::string> order;
      std::map<std::string, PlotSeries> series;
      std::vector<double> all;
      for (const auto* m : ms) {
        if (!series.count(m->result)) {
          order.push_back(m->result);
          series[m->result].name = m->result;
          series[m->result].line = false;
        }
        series[m->result].x.push_back(*m->measured);
        series[m->result].y.push_back(*m->simulated);
        all.push_back(*m->measured);
        all.push_back(*m->simulated);
      }
      auto [lo, hi] = rangeOf(all);
      const bool log = spansDecade(lo, hi);
      if (log) {
        lo /= 1.3, hi *= 1.3;
      } else {
        const double pad = 0.08 * std::max(hi - lo, 0.05 * std::max(std::abs(lo), std::abs(hi)));
        lo -= pad, hi += pad;
      }
      ch.logX = ch.logY = log;
      ch.xRange = ch.yRange = std::make_pair(lo, hi);
      for (const auto& r : order) ch.series.push_back(series[r]);
      PlotSeries diag{"simulated = measured", {lo, hi}, {lo, hi}};
      ch.series.push_back(diag);
      text += chart("parity" + (unit.empty() ? std::string() : "_" + fileSafe(unit)), ch,
                    "simulated vs measured " + unit);
      drew = true;
    }
    if (!drew) text += "No parity chart: fewer than two comparisons share a unit.\n\n";
  }

  // ---- one case ----
  void singleCase(const Json& r, int level, const std::string& title) {
    text += hashes(level) + "Case: " + title + "\n\n";
    provenanceLine(r);
    if (r.is_object() && r.contains("complete") && r["complete"] != true)
      text += "**results.json is not complete** (the run was interrupted or is still running).\n\n";
    if (r.is_object() && r.contains("studies") && r["studies"].is_array()) {
      text += "Studies:";
      for (const auto& s : r["studies"]) {
        const std::string st = jsonString(s, "status");
        text += fmt::format(" `{}` ({}): {}{};", jsonString(s, "name"), jsonString(s, "type"), st,
                            st == "ok" ? "" : " " + cell(jsonString(s, "error")));
      }
      text.back() = '.';
      text += "\n\n";
    }
    Json plain = r;
    if (plain.is_object()) plain.erase("measured");  // compared in their own table
    const auto results = scalarResults(plain);
    text += hashes(level + 1) + "Results\n\n";
    if (results.empty()) {
      text += "No scalar result in results.json.\n\n";
    } else {
      text += tableHead({"result", "value", "unit"});
      for (const auto& s : results) {
        std::string v;
        if (s.value.is_boolean())
          v = s.value.get<bool>() ? "true" : "false";
        else if (s.value.is_number())
          v = num(s.value.get<double>());
        else
          v = "null (see results.json)";
        text += tableRow({s.path, v, s.value.is_number() ? unitText(s.unit) : ""});
      }
      text += "\n";
    }
    measuredSection(measuredRows(r, ""), level + 1, false);
  }

  // ---- calibration ----
  void calibration(const fs::path& dir, const Json& r, int level, const std::string& title) {
    const Json& c = r["calibration"];
    text += hashes(level) + "Calibration: " + title + "\n\n";
    provenanceLine(r);
    const bool converged = c.value("converged", false);
    text += fmt::format(
        "Method: {}; {} after {} iterations and {} evaluations; residual ({}) = {} "
        "(dimensionless).\n\n",
        jsonString(c, "method"), converged ? "converged" : "**not converged**", jsonString(c, "iterations"),
        jsonString(c, "evaluations_count"), jsonString(c, "residual_definition"),
        numberText(jsonNumber(c, "residual")));
    // Units and sources from the best evaluation's own comparison.
    const fs::path best = caseFolder(dir, "", jsonString(c, "best_dir"));
    Json bestRecord;
    if (!best.empty() && fs::exists(best / "results.json")) bestRecord = readJson(best / "results.json");
    std::map<std::string, std::string> units;
    for (const auto& m : measuredRows(bestRecord, "")) units[m.result] = m.unit;
    const auto unitOf = [&](const std::string& result) {
      const auto u = units.find(result);
      return u == units.end() ? std::string("SI") : u->second;
    };

    text += hashes(level + 1) + "Fitted inputs\n\n";
    text += "Values in the input's SI unit (bare numbers in the case file are SI).\n\n";
    text += tableHead({"input", "fitted value", "min", "max"});
    std::vector<std::string> paramPaths;
    for (const auto& p : c.value("parameters", Json::array())) {
      paramPaths.push_back(jsonString(p, "path"));
      text += tableRow({paramPaths.back(), numberText(jsonNumber(p, "value")),
                        numberText(jsonNumber(p, "min")), numberText(jsonNumber(p, "max"))});
    }
    text += "\n" + hashes(level + 1) + "Targets\n\n";
    text += tableHead({"result", "measured", "simulated at the fit", "unit", "ratio [1]"});
    std::vector<std::string> targets;
    for (const auto& tg : c.value("targets", Json::array())) {
      targets.push_back(jsonString(tg, "result"));
      const auto m = jsonNumber(tg, "measured"), s = jsonNumber(tg, "simulated");
      text += tableRow({targets.back(), numberText(m), numberText(s), unitText(unitOf(targets.back())),
                        m && s && *m != 0.0 ? num(*s / *m) : "–"});
    }
    text += "\n" + hashes(level + 1) + "Evaluations\n\n";
    std::vector<std::string> head = {"#"};
    for (const auto& p : paramPaths) head.push_back(p + " (SI)");
    for (const auto& tg : targets) head.push_back(header(tg, unitOf(tg)));
    head.push_back("residual [1]");
    text += tableHead(head);
    std::vector<double> px, res;
    const auto evals = c.value("evaluations", Json::array());
    for (const auto& e : evals) {
      std::vector<std::string> row = {jsonString(e, "index")};
      const Json params = e.value("parameters", Json::object()), sim = e.value("simulated", Json::object());
      for (const auto& p : paramPaths) row.push_back(numberText(jsonNumber(params, p.c_str())));
      for (const auto& tg : targets) row.push_back(numberText(jsonNumber(sim, tg.c_str())));
      const auto rr = jsonNumber(e, "residual");
      row.push_back(numberText(rr));
      text += tableRow(row);
      if (paramPaths.size() == 1) {
        px.push_back(jsonNumber(params, paramPaths[0].c_str()).value_or(NAN));
        res.push_back(rr.value_or(NAN));
      }
    }
    text += "\n";
    if (paramPaths.size() == 1 && px.size() >= 2) {
      PlotChart ch;
      ch.title = "Calibration: relative residual vs " + paramPaths[0];
      ch.xLabel = paramPaths[0] + " (SI)";
      ch.yLabel = "relative residual [1]";
      PlotSeries s{"evaluations", px, res};
      s.line = false;
      const auto [xl, xh] = rangeOf(px);
      ch.logX = spansDecade(xl, xh);
      if (xh > xl)
        ch.xRange = ch.logX ? std::make_pair(xl / 1.15, xh * 1.15)
                            : std::make_pair(xl - 0.05 * (xh - xl), xh + 0.05 * (xh - xl));
      const auto [yl, yh] = rangeOf(res);
      ch.logY = yl > 0.0 && yh / yl > 100.0;
      if (ch.logY) ch.yRange = std::make_pair(yl / 3.0, yh * 3.0);
      ch.series = {s};
      if (ch.logY) text += "Residual on a log axis (evaluations with residual 0 are not drawn).\n\n";
      text += chart("calibration_residual", ch, "residual vs " + paramPaths[0]);
    } else if (paramPaths.size() != 1) {
      text += "No residual chart: it is drawn for one fitted input.\n\n";
    }
    if (!bestRecord.is_null())
      measuredSection(measuredRows(bestRecord, ""), level + 1, false, " at the best evaluation");
  }
};

}  // namespace

BruggemanFit fitBruggeman(const std::vector<double>& eps, const std::vector<double>& tau) {
  if (eps.size() != tau.size())
    throwInput("Bruggeman fit: {} volume fractions but {} tortuosity factors", eps.size(), tau.size());
  std::vector<double> x, y;
  for (std::size_t i = 0; i < eps.size(); ++i)
    if (std::isfinite(eps[i]) && std::isfinite(tau[i]) && eps[i] > 0.0 && tau[i] > 0.0) {
      x.push_back(std::log(eps[i]));
      y.push_back(std::log(tau[i]));
    }
  const std::set<double> distinct(x.begin(), x.end());
  if (distinct.size() < 2)
    throwInput(
        "Bruggeman fit needs at least two distinct volume fractions with finite, positive tortuosity "
        "factors; {} of {} cases qualify with {} distinct volume fraction{}",
        x.size(), eps.size(), distinct.size(), distinct.size() == 1 ? "" : "s");
  const double n = static_cast<double>(x.size());
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxx = 0.0, sxy = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  const double slope = sxy / sxx, intercept = my - slope * mx;
  double ssRes = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = y[i] - (intercept + slope * x[i]);
    ssRes += d * d;
  }
  BruggemanFit f;
  f.alpha = 1.0 - slope;
  f.gamma = std::exp(intercept);
  f.rSquared = syy > 0.0 ? 1.0 - ssRes / syy : 1.0;
  f.points = x.size();
  return f;
}

std::vector<std::vector<std::string>> parseCsv(const std::string& text, const std::string& file) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> startLines;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, fieldStarted = false;
  std::size_t line = 1, rowLine = 1, quoteLine = 1;
  const auto endRow = [&] {
    if (!row.empty() || fieldStarted || !field.empty()) {
      row.push_back(field);
      rows.push_back(row);
      startLines.push_back(rowLine);
    }
    row.clear();
    field.clear();
    fieldStarted = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
      fieldStarted = true;
      quoteLine = line;
    } else if (ch == ',') {
      row.push_back(field);
      field.clear();
      fieldStarted = true;
    } else if (ch == '\r') {
      // "\r\n" ends a line like "\n"
    } else if (ch == '\n') {
      endRow();
      ++line;
      rowLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throwInput("report: {} line {}: a quoted cell is not closed", file, quoteLine);
  endRow();
  for (std::size_t r = 1; r < rows.size(); ++r)
    if (rows[r].size() != rows[0].size())
      throwInput("report: {} line {}: {} cells, but the header has {}", file, startLines[r], rows[r].size(),
                 rows[0].size());
  return rows;
}

fs::path writeReport(const ReportOptions& opt) {
  const fs::path dir = opt.dir;
  if (dir.empty()) throwInput("report: no directory given");
  if (!fs::exists(dir)) throwInput("report: no directory '{}'", dir.string());
  if (!fs::is_directory(dir)) throwInput("report: '{}' is not a directory", dir.string());
  const fs::path md = opt.out.empty() ? dir / "report.md" : opt.out;
  if (md.stem().empty()) throwInput("report: --out '{}' needs a file name", md.string());

  Report rep(opt, md);
  std::string body;
  const std::string title = dir.string();
  if (!rep.folder(dir, 1, "", title)) {
    std::vector<fs::path> subs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory() && (fs::exists(e.path() / "results.csv") || fs::exists(e.path() / "results.json")))
        subs.push_back(e.path());
    std::sort(subs.begin(), subs.end());
    if (subs.empty())
      throwInput(
          "report: '{}' holds no results: looked for results.csv (with sweep.json: a sweep) and results.json "
          "(a case or a calibration) in it and in its sub-folders one level down; run `ssbvox run` into it "
          "first",
          dir.string());
    rep.text += hashes(1) + "Report: " + title + "\n\n";
    rep.text += "Sections:";
    for (const auto& s : subs) rep.text += " " + s.filename().string() + ";";
    rep.text.back() = '.';
    rep.text += "\n\n";
    for (const auto& s : subs) {
      const std::string name = s.filename().string();
      rep.folder(s, 2, name + "_", name);
    }
  }
  const std::string text =
      rep.text + fmt::format("---\nWritten by `ssbvox report` ({} {}).\n", kVersion, kGitRevision);
  std::error_code ec;
  if (!md.parent_path().empty()) fs::create_directories(md.parent_path(), ec);
  if (ec) throwRun("report: cannot create {}: {}", md.parent_path().string(), ec.message());
  writeFileAtomic(md, text);
  Log::info("report: {} ({} chart{} in {}/)", md.string(), rep.charts, rep.charts == 1 ? "" : "s",
            (md.parent_path() / md.stem()).string());
  return md;
}

int reportCommand(MPI_Comm comm, const ReportOptions& opt) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::exception_ptr err;
  if (rank == 0) {
    try {
      writeReport(opt);
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  return 0;
}

}  // namespace ssb
