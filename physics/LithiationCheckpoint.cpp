// Checkpoints of the lithiation study: layout and restart semantics in physics/LithiationCheckpoint.hpp.
#include "physics/LithiationCheckpoint.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <sstream>

#include "mesh/FieldWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {

constexpr double kFormat = 1.0;  // layout version of the arrays below
constexpr size_t kSampleFixed = 10;
constexpr size_t kRecordSize = 9;

// Shortest text that reads back as the same double: equal text <=> equal value.
std::string number(double v) { return fmt::format("{}", v); }

// key = value lines of a section, recursively, resolved to SI where the schema has a unit.
void describe(const Params& p, const std::string& prefix, std::ostringstream& out) {
  for (const auto& spec : p.schema().params) {
    if (!p.has(spec.key)) continue;
    const std::string key = prefix + spec.key;
    switch (spec.type) {
      case ParamType::Real:
        out << key << " = " << number(p.real(spec.key)) << '\n';
        break;
      case ParamType::Integer:
        out << key << " = " << p.integer(spec.key) << '\n';
        break;
      case ParamType::Boolean:
        out << key << " = " << (p.boolean(spec.key) ? "true" : "false") << '\n';
        break;
      case ParamType::Text:
      case ParamType::Choice:
        out << key << " = " << p.text(spec.key) << '\n';
        break;
      case ParamType::RealList: {
        out << key << " =";
        for (double v : p.reals(spec.key)) out << ' ' << number(v);
        out << '\n';
        break;
      }
      case ParamType::Section:
        describe(p.section(spec.key), key + ".", out);
        break;
      case ParamType::SectionList: {
        const auto list = p.sections(spec.key);
        out << key << " = " << list.size() << " entries\n";
        for (size_t i = 0; i < list.size(); ++i) describe(list[i], fmt::format("{}[{}].", key, i), out);
        break;
      }
      default: {  // maps, text/int lists, Any: their YAML in flow style
        YAML::Emitter e;
        e.SetMapFormat(YAML::Flow);
        e.SetSeqFormat(YAML::Flow);
        e << p.raw(spec.key);
        out << key << " = " << e.c_str() << '\n';
        break;
      }
    }
  }
}

std::map<std::string, std::string> linesByKey(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    m[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return m;
}

std::vector<double> encode(const std::string& s) {
  std::vector<double> v{static_cast<double>(s.size())};
  for (unsigned char c : s) v.push_back(static_cast<double>(c));
  return v;
}

std::string decode(const std::vector<double>& v) {
  std::string s;
  for (size_t i = 1; i < v.size(); ++i) s.push_back(static_cast<char>(static_cast<unsigned char>(v[i])));
  return s;
}

bool isRoot(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r == 0;
}

}  // namespace

std::string lithiationFingerprint(const Params& study, const PhaseMap& phases, const StructuredGrid& grid,
                                  const std::vector<uint16_t>& labels) {
  std::ostringstream out;
  const VoxelGrid& g = grid.geometry();
  out << "volume.shape = " << g.n[0] << ' ' << g.n[1] << ' ' << g.n[2] << '\n';
  out << "volume.voxel_size = " << number(g.spacing[0]) << ' ' << number(g.spacing[1]) << ' '
      << number(g.spacing[2]) << '\n';
  // Order-independent checksum of (global voxel index, label): the same on any decomposition.
  uint64_t sum = 0;
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    uint64_t h =
        static_cast<uint64_t>((k * g.n[1] + j) * g.n[0] + i) * 65537u + labels[static_cast<size_t>(l)];
    h ^= h >> 33;  // splitmix-style mixing so that swapped labels change the sum
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    sum += h;
  });
  MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, grid.comm());
  out << "volume.labels_checksum = " << fmt::format("{:016x}", sum) << '\n';
  for (const auto& ph : phases.phases()) {
    out << "phases." << ph.name << " = " << roleName(ph.role) << " labels";
    for (uint16_t l : ph.labels) out << ' ' << l;
    out << '\n';
  }
  std::ostringstream keys;
  describe(study, "", keys);
  std::istringstream is(keys.str());
  std::string line;
  while (std::getline(is, line)) {
    const bool outputOnly = line.rfind("name = ", 0) == 0 || line.rfind("checkpoint.", 0) == 0 ||
                            line.rfind("progress_every = ", 0) == 0 ||
                            line.rfind("write_fields = ", 0) == 0 || line.rfind("type = ", 0) == 0;
    if (!outputOnly) out << line << '\n';
  }
  return out.str();
}

LithiationCheckpoint::LithiationCheckpoint(const StructuredGrid& grid, std::filesystem::path dir,
                                           const std::string& study, std::string fingerprint, std::string who,
                                           const CheckpointSetup& schedule)
    : m_grid(grid),
      m_dir(std::move(dir)),
      m_stem(study + "_checkpoint"),
      m_fingerprint(std::move(fingerprint)),
      m_who(std::move(who)),
      m_schedule(schedule),
      m_last(std::chrono::steady_clock::now()) {}

bool LithiationCheckpoint::due() {
  ++m_stepsSince;
  int flag = 0;
  if (isRoot(m_grid.comm())) {
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_last).count();
    flag = (m_schedule.everySteps > 0 && m_stepsSince >= m_schedule.everySteps) ||
           (m_schedule.everySeconds > 0.0 && since >= m_schedule.everySeconds);
  }
  MPI_Bcast(&flag, 1, MPI_INT, 0, m_grid.comm());  // clocks differ between ranks: rank 0 decides for all
  return flag != 0;
}

void LithiationCheckpoint::write(const DofMap& dofs, Vec u, const LithiationRunState& s) {
  const auto start = std::chrono::steady_clock::now();
  const auto& samples = s.result.samples;
  const size_t profileLen = samples.empty() ? 0 : samples.front().profile.size();
  std::vector<double> run{kFormat,
                          s.time,
                          s.nextStep,
                          s.atStepStart ? 1.0 : 0.0,
                          s.complete ? 1.0 : 0.0,
                          s.charge,
                          s.throughput,
                          s.stepCharge0,
                          s.stepThroughput0,
                          static_cast<double>(s.result.timeSteps),
                          static_cast<double>(s.result.newtonIterations),
                          static_cast<double>(s.result.linearIterations),
                          static_cast<double>(s.result.rejectedSteps),
                          s.result.seconds,
                          dofs.getScalar(u, 0),
                          static_cast<double>(samples.size()),
                          static_cast<double>(profileLen),
                          static_cast<double>(s.machine.index),
                          s.machine.tStart,
                          static_cast<double>(s.machine.history.size())};
  std::vector<double> smp{0.0};  // a leading entry: HDF5 arrays here are never empty
  smp.reserve(1 + samples.size() * (kSampleFixed + profileLen));
  for (const auto& x : samples) {
    for (double v :
         {x.t, x.voltage, x.current, x.charge, x.throughput, x.meanX, x.dt, static_cast<double>(x.newton),
          static_cast<double>(x.linear), static_cast<double>(x.step)})
      smp.push_back(v);
    if (x.profile.size() != profileLen)
      throwRun("{}: checkpoint: sample profiles of different lengths ({} and {})", m_who, x.profile.size(),
               profileLen);
    smp.insert(smp.end(), x.profile.begin(), x.profile.end());
  }
  std::vector<double> hist{0.0};
  for (const auto& r : s.machine.history)
    for (double v : {static_cast<double>(r.step), static_cast<double>(static_cast<int>(r.kind)),
                     static_cast<double>(static_cast<int>(r.reason)), r.tStart, r.tEnd, r.charge,
                     r.throughput, r.voltageEnd, r.currentEnd})
      hist.push_back(v);

  std::optional<RemoveOnTermination> cleanup;  // SIGTERM while writing: no temporary file stays
  if (isRoot(m_grid.comm())) cleanup.emplace(tempPathFor(file()));
  FieldWriter fw(m_grid, m_dir, m_stem, false);
  fw.write(dofs.getField(u, LithiationSolver::kPhiE, 0.0), "phi_e", "V");
  fw.write(dofs.getField(u, LithiationSolver::kPhiS, 0.0), "phi_s", "V");
  fw.write(dofs.getField(u, LithiationSolver::kX, 0.0), "x", "1");
  fw.writeArray("run", run);
  fw.writeArray("samples", smp);
  fw.writeArray("history", hist);
  fw.writeArray("fingerprint", encode(m_fingerprint));
  fw.close();
  m_stepsSince = 0;
  m_last = std::chrono::steady_clock::now();
  m_lastWriteSeconds = std::chrono::duration<double>(m_last - start).count();
}

std::optional<LithiationRunState> LithiationCheckpoint::read(const DofMap& dofs, Vec u) const {
  int exists = isRoot(m_grid.comm()) && std::filesystem::exists(file()) ? 1 : 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, m_grid.comm());
  if (!exists) return std::nullopt;
  try {
    return readExisting(dofs, u);
  } catch (const RestartInputError&) {
    throw;
  } catch (const InputError& e) {  // an unreadable checkpoint ends the run like a mismatched one
    throw RestartInputError(fmt::format(
        "{}: --restart: {}; remove the checkpoint or run without --restart to start the study over", m_who,
        e.what()));
  }
}

LithiationRunState LithiationCheckpoint::readExisting(const DofMap& dofs, Vec u) const {
  FieldReader rd(m_grid.comm(), file());
  const std::string f = file().string();
  for (const char* name : {"run", "samples", "history", "fingerprint", "/phi_e", "/phi_s", "/x"})
    if (!rd.has(name)) throwInput("{} is not a lithiation checkpoint (no dataset '{}')", f, name);
  const std::string saved = decode(rd.readArray("fingerprint"));
  if (saved != m_fingerprint) {
    const auto a = linesByKey(saved), b = linesByKey(m_fingerprint);
    std::vector<std::string> changed;
    for (const auto& [k, v] : b) {
      const auto it = a.find(k);
      if (it == a.end())
        changed.push_back(fmt::format("{} (new: {})", k, v));
      else if (it->second != v)
        changed.push_back(fmt::format("{} ({} -> {})", k, it->second, v));
    }
    for (const auto& [k, v] : a)
      if (!b.count(k)) changed.push_back(fmt::format("{} (removed, was {})", k, v));
    std::string list;
    for (size_t i = 0; i < changed.size() && i < 6; ++i) list += (i ? "; " : "") + changed[i];
    if (changed.size() > 6) list += fmt::format("; and {} more", changed.size() - 6);
    throw RestartInputError(fmt::format(
        "{}: --restart: the checkpoint {} was written for other inputs; changed: {}. Restore the case as it "
        "was to continue, or run without --restart to start the study over",
        m_who, f, list));
  }
  const std::vector<double> run = rd.readArray("run");
  if (run.size() != 20 || run[0] != kFormat)
    throwInput("{} has checkpoint format {} (this ssbvox reads format {})", f, run.empty() ? 0.0 : run[0],
               kFormat);
  LithiationRunState s;
  s.time = run[1];
  s.nextStep = run[2];
  s.atStepStart = run[3] != 0.0;
  s.complete = run[4] != 0.0;
  s.charge = run[5];
  s.throughput = run[6];
  s.stepCharge0 = run[7];
  s.stepThroughput0 = run[8];
  s.result.timeSteps = static_cast<long>(run[9]);
  s.result.newtonIterations = static_cast<long>(run[10]);
  s.result.linearIterations = static_cast<long>(run[11]);
  s.result.rejectedSteps = static_cast<long>(run[12]);
  s.result.seconds = run[13];
  const double phiCc = run[14];
  const auto nSamples = static_cast<size_t>(run[15]), profileLen = static_cast<size_t>(run[16]);
  s.machine.index = static_cast<size_t>(run[17]);
  s.machine.tStart = run[18];
  const auto nHistory = static_cast<size_t>(run[19]);

  const std::vector<double> smp = rd.readArray("samples"), hist = rd.readArray("history");
  if (smp.size() != 1 + nSamples * (kSampleFixed + profileLen) || hist.size() != 1 + nHistory * kRecordSize)
    throwInput("{} is damaged (its array sizes do not match its header)", f);
  size_t p = 1;
  for (size_t i = 0; i < nSamples; ++i) {
    LithiationSample x;
    x.t = smp[p++];
    x.voltage = smp[p++];
    x.current = smp[p++];
    x.charge = smp[p++];
    x.throughput = smp[p++];
    x.meanX = smp[p++];
    x.dt = smp[p++];
    x.newton = static_cast<int>(smp[p++]);
    x.linear = static_cast<int>(smp[p++]);
    x.step = static_cast<size_t>(smp[p++]);
    x.profile.assign(smp.begin() + static_cast<std::ptrdiff_t>(p),
                     smp.begin() + static_cast<std::ptrdiff_t>(p + profileLen));
    p += profileLen;
    s.result.samples.push_back(std::move(x));
  }
  p = 1;
  for (size_t i = 0; i < nHistory; ++i) {
    StepRecord r;
    r.step = static_cast<int>(hist[p++]);
    r.kind = static_cast<StepKind>(static_cast<int>(hist[p++]));
    r.reason = static_cast<EndReason>(static_cast<int>(hist[p++]));
    r.tStart = hist[p++];
    r.tEnd = hist[p++];
    r.charge = hist[p++];
    r.throughput = hist[p++];
    r.voltageEnd = hist[p++];
    r.currentEnd = hist[p++];
    s.machine.history.push_back(r);
  }
  dofs.setField(u, LithiationSolver::kPhiE, rd.readOwned(m_grid, "/phi_e"));
  dofs.setField(u, LithiationSolver::kPhiS, rd.readOwned(m_grid, "/phi_s"));
  dofs.setField(u, LithiationSolver::kX, rd.readOwned(m_grid, "/x"));
  dofs.setScalar(u, 0, phiCc);
  SSB_PETSC(VecAssemblyBegin(u));
  SSB_PETSC(VecAssemblyEnd(u));
  return s;
}

}  // namespace ssb
