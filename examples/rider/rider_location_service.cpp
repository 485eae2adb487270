// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The location service as a process of its own: drivers' location_update
// envelopes become driver_location events on driver/<id>/location, and
// route requests get the driver's route.
//
//   rider_location_service [--gateway ws://127.0.0.1:8090/gateway/services] [--service-token T]

#include "rider_service.hpp"

int main(int argc, char** argv)
{
    return rider::run_service(argc, argv, "location", {"location_update", "route"},
                              rider::location_service());
}
