#pragma once
// `ssbvox report DIR`: a Markdown report with PNG charts of what `ssbvox run` wrote into DIR
// (docs/studies.md, "Reports"):
//   a sweep (results.csv + sweep.json)  header, table of the cases, tortuosity vs volume fraction with a
//                                       Bruggeman fit, every varying result vs every swept input, simulated
//                                       vs measured (table and parity chart)
//   a case (results.json)               every scalar result with its unit, simulated vs measured
//   a calibration (results.json with `calibration`)  fitted inputs, targets, residual, every evaluation
//   a folder of such folders (one level down)        one section per sub-folder, sorted by name
// The Markdown goes to DIR/report.md (or --out FILE.md), its charts to the folder named like it without
// the extension (DIR/report/), linked relatively; every file is written atomically.
#include <mpi.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace ssb {

struct ReportOptions {
  std::filesystem::path dir;         // what `ssbvox run` wrote
  std::filesystem::path out;         // the Markdown file; empty: dir / "report.md"
  std::vector<std::string> ySelect;  // result columns containing any of these (empty: all)
  std::string xColumn;               // the only swept input to plot against (empty: every one)
  std::size_t maxPlots = 24;         // charts of results vs inputs at most; the rest are listed
};

// Bruggeman's relation in tortuosity form: tau = gamma * eps^(1 - alpha), i.e. sigma_eff / sigma0 =
// eps / tau = eps^alpha / gamma (classical Bruggeman: alpha = 1.5, gamma = 1, tau = eps^-0.5).
struct BruggemanFit {
  double alpha = 0.0;      // Bruggeman exponent [1]
  double gamma = 0.0;      // prefactor [1]
  double rSquared = 0.0;   // of the straight line log tau = log gamma + (1 - alpha) log eps; 1 when exact
  std::size_t points = 0;  // pairs used (finite and positive)
};

// Linear least squares of log tau on log eps over the pairs whose eps and tau are both finite and > 0
// (the others, e.g. tau of a volume that does not percolate, are left out). InputError when eps and tau
// differ in length or fewer than two distinct eps remain. R^2 = 1 - SS_res / SS_tot of the log fit (1 when
// every log tau is the same and the line passes through them). Not collective.
BruggemanFit fitBruggeman(const std::vector<double>& eps, const std::vector<double>& tau);

// Cells of a CSV text (RFC 4180 quoting, as Sweep writes it: "" inside quotes, quoted newlines). Every row
// must have as many cells as the header: InputError naming `file` and the line where the row starts.
std::vector<std::vector<std::string>> parseCsv(const std::string& text, const std::string& file);

// Write the report of opt.dir: returns the Markdown file written. InputError (naming the directory or file)
// when opt.dir does not exist, holds no results (the message lists the files looked for), or a results file
// is malformed (results.csv row of the wrong length, unparsable JSON); RunError when a file cannot be
// written. Not collective.
std::filesystem::path writeReport(const ReportOptions& opt);

// `ssbvox report`: writeReport on rank 0 of `comm`, the other ranks wait; errors reach every rank
// (rethrowCollective). Collective. Returns the exit status (0).
int reportCommand(MPI_Comm comm, const ReportOptions& opt);

}  // namespace ssb
