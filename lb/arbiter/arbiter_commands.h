// The arbiter's admin socket: `show arbiter [json]`, `help`, and HAProxy's session commands
// (prompt, quit, set timeout cli), with HAProxy's answers to an unknown or empty command. It
// holds no traffic and no VIP, so that is all there is to ask.
#pragma once

#include <functional>
#include <string_view>

#include "lb/admin/command_handler.h"
#include "lb/arbiter/arbiter_status.h"

namespace lb::arbiter {

class ArbiterCommands final : public admin::CommandHandler {
public:
    using StatusSource = std::function<ArbiterStatus()>;

    explicit ArbiterCommands(StatusSource status) : status_(std::move(status)) {}

    [[nodiscard]] admin::PreparedCommand prepare(std::string_view text) override;

private:
    StatusSource status_;
};

}  // namespace lb::arbiter
