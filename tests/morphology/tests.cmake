# tests for morphology
ssb_add_gtest(NAME morph_unit SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphUnitTest.cpp
              RANKS 1 LIBS ssb_postprocess ssb_plot TIMEOUT 60)
ssb_add_gtest(NAME morph_kernels SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphKernelsTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 120)
ssb_add_gtest(NAME morph_shapes SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphShapesTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 120)
ssb_add_gtest(NAME morph_study SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphStudyTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 120)
ssb_add_gtest(NAME morph_reference SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphReferenceTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 180)
ssb_add_gtest(NAME morph_surface SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphSurfaceTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 120)
ssb_add_gtest(NAME morph_lines SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphLinesTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 60)
ssb_add_gtest(NAME morph_particles SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/morphology/MorphParticlesTest.cpp
              RANKS 1 2 LIBS ssb_postprocess TIMEOUT 60)
