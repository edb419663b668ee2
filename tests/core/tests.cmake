# tests for core
ssb_add_gtest(NAME core_units_params SOURCES ${CMAKE_CURRENT_LIST_DIR}/UnitsParamsTest.cpp RANKS 1 LIBS ssb_core)
# Solver layer: option layering and checks, the exception bridge, LinearSolve / NonlinearSolve /
# TimeIntegrator against analytic solutions (small problems; np 1 and 2).
ssb_add_gtest(NAME core_solvers
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/SolverOptionsTest.cpp ${CMAKE_CURRENT_LIST_DIR}/NonlinearSolveTest.cpp
          ${CMAKE_CURRENT_LIST_DIR}/TimeIntegratorTest.cpp
  RANKS 1 2 LIBS ssb_core TIMEOUT 120)

# The solver options end to end through ssbvox (2 ranks): a misspelt YAML option and an unknown command-line
# option are reported at the end of a successful run, naming where they came from; an unknown Krylov type is
# an input error naming the YAML key (and PETSc's own error dump stays hidden).
add_test(NAME core_cli_unused_petsc_options
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/expect_output.sh
          "PETSc option -conductivity_ksp_rtoll 1e-3 \\(from studies\\[0\\]\\.petsc_options\\.ksp_rtoll\\) was never used"
          "PETSc option -ionic_never_read 1 \\(from command line\\) was never used"
          "=== ssbvox results" --
          ${SSB_MPIEXEC} -n 2 $<TARGET_FILE:ssbvox> run ${CMAKE_CURRENT_LIST_DIR}/cases/petsc_options_typo.yaml
          -- -ionic_never_read 1
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(core_cli_unused_petsc_options PROPERTIES ENVIRONMENT "${SSB_TEST_ENV}" TIMEOUT 60 PROCESSORS 2)
ssb_add_cli_test(NAME core_cli_bad_petsc_type RANKS 2 TIMEOUT 60 EXIT_CODE 2
  EXPECT_ERROR "input error: studies\\[0\\]\\.petsc_options\\.ksp_type: 'nonsense_ksp' is not a KSP type \\(known: .*gmres"
  ARGS run ${CMAKE_CURRENT_LIST_DIR}/cases/petsc_options_bad_type.yaml)
ssb_add_gtest(NAME core_output_files SOURCES ${CMAKE_CURRENT_LIST_DIR}/OutputFilesTest.cpp RANKS 1 LIBS ssb_core)
