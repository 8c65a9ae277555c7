// sitelb: a layer-4 TCP load balancer for two-site primary/standby deployments.
#include "lb/cli.h"

int main(int argc, char** argv) { return lb::run_cli(argc, argv); }
