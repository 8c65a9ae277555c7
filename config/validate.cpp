// validate(): the rules that span tables. Each error names the key an operator has to change,
// and mentions the line of the other key involved ("two primaries: ... (line 12)").
#include "config/validate.h"

#include <fmt/format.h>

#include <algorithm>

namespace lb::config {
namespace {

std::string site_key(std::size_t index, std::string_view rest) {
    return fmt::format("sites[{}].{}", index, rest);
}

std::string listener_key(std::size_t index, std::string_view rest) {
    return fmt::format("listeners[{}].{}", index, rest);
}

class Rules {
public:
    Rules(Config& config, const SourceMap& where, Diagnostics& out)
        : config_(config), where_(where), out_(out) {}

    void check() {
        check_roles();
        check_unique_names();
        check_listeners();
        check_site_ports();
        check_health();
        check_peer();
        put_primary_first();
    }

private:
    void error(const std::string& key, std::string message) {
        out_.error(where_.at(key), key, std::move(message));
    }
    int line_of(const std::string& key) const { return where_.at(key).line; }

    void check_roles() {
        auto& sites = config_.sites;
        if (sites.size() < 2)
            error("sites", fmt::format("{}: need one site with role = \"primary\" and one with "
                                       "role = \"standby\"",
                                       sites.empty() ? "no [[sites]]" : "only one site"));
        bool all_known = true;
        for (std::size_t i = 0; i < sites.size(); ++i) {
            const std::string key = site_key(i, "role");
            if (!where_.contains(key)) {  // missing or invalid: reported already
                all_known = false;
                continue;
            }
            const bool is_primary = sites[i].role == SiteRole::Primary;
            auto& first = is_primary ? primary_ : standby_;
            if (!first) {
                first = i;
                continue;
            }
            error(key, fmt::format("two {}: site \"{}\" (line {}) already has role = \"{}\"",
                                   is_primary ? "primaries" : "standbys", sites[*first].name,
                                   line_of(site_key(*first, "role")), to_string(sites[i].role)));
        }
        if (sites.size() < 2 || !all_known) return;
        if (!primary_) error("sites", "no site has role = \"primary\"");
        if (!standby_) error("sites", "no site has role = \"standby\"");
    }

    // `key_of(i, "name")` is the dotted key of the i-th item's name ("listeners[1].name").
    template <typename Items, typename KeyOf>
    void check_unique(const Items& items, KeyOf key_of, std::string_view what) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!where_.contains(key_of(i, "name"))) continue;
            for (std::size_t j = 0; j < i; ++j) {
                if (!where_.contains(key_of(j, "name")) || items[j].name != items[i].name) continue;
                error(key_of(i, "name"),
                      fmt::format("duplicate {} name \"{}\" (first at line {})", what,
                                  items[i].name, line_of(key_of(j, "name"))));
                break;
            }
        }
    }

    void check_unique_names() {
        check_unique(config_.sites, site_key, "site");
        check_unique(config_.listeners, listener_key, "listener");
    }

    void check_listeners() {
        const auto& listeners = config_.listeners;
        if (listeners.empty()) error("listeners", "no [[listeners]]: need at least one");
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            if (!where_.contains(listener_key(i, "bind"))) continue;
            for (std::size_t j = 0; j < i; ++j) {
                if (!where_.contains(listener_key(j, "bind")) ||
                    !(listeners[j].bind == listeners[i].bind))
                    continue;
                error(listener_key(i, "bind"),
                      fmt::format("listener \"{}\" (line {}) already binds {}", listeners[j].name,
                                  line_of(listener_key(j, "bind")), listeners[i].bind.to_string()));
                break;
            }
        }
    }

    void check_site_ports() {
        for (std::size_t i = 0; i < config_.sites.size(); ++i) {
            for (const auto& entry : config_.sites[i].ports) {
                const std::string& name = entry.first;  // a lambda may not capture a binding (C++17)
                const auto& listeners = config_.listeners;
                if (std::any_of(listeners.begin(), listeners.end(),
                                [&](const Listener& l) { return l.name == name; }))
                    continue;
                const std::string key = join_key(site_key(i, "ports"), name);
                out_.error(where_.key_at(key), key, fmt::format("no listener named \"{}\"", name));
            }
        }
    }

    // [health] is checked once; a site is checked only where its own [sites.health] changes
    // the outcome, so one mistake in [health] is not reported once per site.
    void check_health() {
        const HealthSettings& defaults = config_.health;
        const bool ca_missing = needs_ca_file(defaults);
        if (ca_missing) error("health.verify", "verify = \"ca\" needs ca_file");
        warn_slow_timeout("health", defaults);
        for (std::size_t i = 0; i < config_.sites.size(); ++i) {
            const std::string prefix = site_key(i, "health");
            const HealthSettings& health = config_.sites[i].health;
            if (!ca_missing && needs_ca_file(health))
                error(
                    where_.contains(prefix + ".verify") ? prefix + ".verify" : prefix + ".ca_file",
                    "verify = \"ca\" needs ca_file");
            if (where_.contains(prefix + ".interval") || where_.contains(prefix + ".timeout"))
                warn_slow_timeout(prefix, health);
        }
    }

    static bool needs_ca_file(const HealthSettings& health) {
        return health.verify == TlsVerify::Ca && health.ca_file.empty();
    }

    void warn_slow_timeout(const std::string& prefix, const HealthSettings& health) {
        if (health.timeout < health.interval) return;
        const std::string key = prefix + ".timeout";
        out_.warning(
            where_.at(key), key,
            fmt::format("timeout {} is not shorter than interval {}: checks will overlap",
                        format_duration(health.timeout), format_duration(health.interval)));
    }

    void check_peer() {
        if (!config_.peer) return;
        if (config_.peer->peer_id == config_.peer->id)
            error("peer.peer_id", "the partner's id must differ from this instance's id");
        if (!config_.peer->vip.empty() && config_.peer->interface.empty())
            error("peer.vip", "a vip needs interface = \"...\" to add it to");
    }

    void put_primary_first() {
        if (!primary_ || !standby_) return;
        std::vector<Site> ordered;
        ordered.push_back(std::move(config_.sites[*primary_]));
        ordered.push_back(std::move(config_.sites[*standby_]));
        for (std::size_t i = 0; i < config_.sites.size(); ++i)
            if (i != *primary_ && i != *standby_) ordered.push_back(std::move(config_.sites[i]));
        config_.sites = std::move(ordered);
    }

    Config& config_;
    const SourceMap& where_;
    Diagnostics& out_;
    std::optional<std::size_t> primary_;
    std::optional<std::size_t> standby_;
};

}  // namespace

void validate(Config& config, const SourceMap& where, Diagnostics& out) {
    Rules(config, where, out).check();
}

}  // namespace lb::config
