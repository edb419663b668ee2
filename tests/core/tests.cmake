# tests for core
ssb_add_gtest(NAME core_units_params SOURCES ${CMAKE_CURRENT_LIST_DIR}/UnitsParamsTest.cpp RANKS 1 LIBS ssb_core)
# Solver layer: option layering and checks, the exception bridge, LinearSolve / NonlinearSolve /
# TimeIntegrator against analytic solutions (small problems; np 1 and 2).
ssb_add_gtest(NAME core_solvers
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/SolverOptionsTest.cpp ${CMAKE_CURRENT_LIST_DIR}/NonlinearSolveTest.cpp
          ${CMAKE_CURRENT_LIST_DIR}/TimeIntegratorTest.cpp
  RANKS 1 2 LIBS ssb_core TIMEOUT 120)
