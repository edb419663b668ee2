# tests for connectivity
ssb_add_gtest(NAME connectivity_label SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/connectivity/ConnectivityTest.cpp
              RANKS 1 2 LIBS ssb_mesh TIMEOUT 120)
