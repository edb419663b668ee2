#pragma once
// Rank-0 logger with elapsed wall time. Verbosity: 0 = errors only, 1 = progress (default), 2 = detail.
#include <fmt/format.h>

#include <chrono>
#include <string>

namespace ssb {

class Log {
 public:
  static void setVerbosity(int v);
  static int verbosity();
  static double elapsed();  // seconds since program start (first use)
  static void write(int level, const std::string& msg);  // rank 0 only; not collective
  static void warn(const std::string& msg);               // rank 0 only, always shown, counted

  template <typename... Args>
  static void info(fmt::format_string<Args...> f, Args&&... a) {
    write(1, fmt::format(f, std::forward<Args>(a)...));
  }
  template <typename... Args>
  static void detail(fmt::format_string<Args...> f, Args&&... a) {
    write(2, fmt::format(f, std::forward<Args>(a)...));
  }
};

// Logs "<name> ..." on entry and "<name> done in X s" on exit.
class ScopedTimer {
 public:
  explicit ScopedTimer(std::string name);
  ~ScopedTimer();
  double seconds() const;

 private:
  std::string m_name;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace ssb
