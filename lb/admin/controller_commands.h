// lb run's admin commands: parsed by command_parser, run against the Controller (commands.h).
// Every command that changed something is logged once it succeeded, for the audit trail.
#pragma once

#include <string_view>

#include "lb/admin/command_handler.h"
#include "lb/admin/controller.h"

namespace lb::admin {

class ControllerCommands final : public CommandHandler {
public:
    // `controller` must outlive this object.
    explicit ControllerCommands(Controller& controller) : controller_(controller) {}

    [[nodiscard]] PreparedCommand prepare(std::string_view text) override;

private:
    Controller& controller_;
};

}  // namespace lb::admin
