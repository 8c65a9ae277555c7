#include "lb/proxy/proxy_settings.h"

namespace lb {

std::shared_ptr<const ProxySettings> make_proxy_settings(const config::Config& cfg,
                                                         TrafficSink& sink) {
    auto settings = std::make_shared<ProxySettings>();
    settings->connect_timeout = cfg.timeouts.connect;
    settings->idle_timeout = cfg.timeouts.idle;
    settings->retry_on_standby = cfg.policy.retry_on_standby;
    settings->splice = cfg.global.splice;
    settings->log_format = cfg.global.log_format;
    settings->site_names = {cfg.primary().name, cfg.standby().name};
    for (std::size_t index = 0; index < cfg.listeners.size(); ++index) {
        const config::Listener& listener = cfg.listeners[index];
        ListenerRoute route;
        route.name = listener.name;
        route.bind = listener.bind;
        route.proxy_protocol = listener.proxy_protocol;
        route.accept_proxy = listener.accept_proxy;
        route.counters = sink.route(listener.name, settings->site_names);
        for (std::size_t i = 0; i < 2; ++i) {
            const auto& site = cfg.sites[i];
            route.site_endpoints[i] = site.address.with_port(cfg.site_port(site, listener));
        }
        settings->routes.push_back(std::move(route));
    }
    return settings;
}

}  // namespace lb
