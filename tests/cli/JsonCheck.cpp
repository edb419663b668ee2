// ssb_test_jsoncheck FILE [KEY=JSON ...]: exit 0 if FILE is complete, valid JSON and each top-level KEY holds
// the given JSON value (e.g. complete=false); a KEY starting with '/' is a JSON pointer into the document
// (e.g. /studies/0/cycles/1/cycle=2). Used by the kill tests, which must tell a half-written
// results.json from a complete one without depending on Python.
#include <cstdio>
#include <fstream>
#include <string>

#include "solver/core/Json.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ssb_test_jsoncheck FILE [KEY=JSON ...]\n");
    return 2;
  }
  std::ifstream is(argv[1]);
  if (!is) {
    std::printf("jsoncheck: cannot open %s\n", argv[1]);
    return 1;
  }
  ssb::Json j;
  try {
    j = ssb::Json::parse(is);
  } catch (const std::exception& e) {
    std::printf("jsoncheck: %s is not valid JSON: %s\n", argv[1], e.what());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    const std::string key = a.substr(0, eq);
    const ssb::Json want = ssb::Json::parse(a.substr(eq + 1));
    const ssb::Json* got = nullptr;
    if (!key.empty() && key[0] == '/') {
      const ssb::Json::json_pointer ptr(key);
      if (j.contains(ptr)) got = &j.at(ptr);
    } else if (j.contains(key)) {
      got = &j[key];
    }
    if (!got || *got != want) {
      std::printf("jsoncheck: %s: %s is %s, expected %s\n", argv[1], key.c_str(),
                  got ? got->dump().c_str() : "missing", want.dump().c_str());
      return 1;
    }
  }
  std::printf("jsoncheck: %s ok\n", argv[1]);
  return 0;
}
