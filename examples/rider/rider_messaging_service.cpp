// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The messaging service as a process of its own: rider_message envelopes go
// to the mailboxes of the recipient and the sender, stamped with the
// sender's identity.
//
//   rider_messaging_service [--gateway ws://127.0.0.1:8090/gateway/services] [--service-token T]

#include "rider_service.hpp"

int main(int argc, char** argv)
{
    return rider::run_service(argc, argv, "messaging", {"rider_message"}, rider::messaging_service());
}
