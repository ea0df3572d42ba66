#include <GeoIP.h>
#include <GeoIPCity.h>
