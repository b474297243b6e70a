/* Development outcomes of released land (clearplan/evidence.h): ESA WorldCover classes, the
 * Sustainable Development Goals they serve. */
#include <stddef.h>

#include <clearplan/evidence.h>

static const struct {
    int code, sdg;
    const char *name;
} classes[] = {
    {10, 15, "tree cover"},       {20, 15, "shrubland"},
    {30, 2, "grassland"},         {40, 2, "cropland"},
    {50, 11, "built-up"},         {60, 15, "bare land"},
    {70, 0, "snow and ice"},      {80, 6, "water"},
    {90, 6, "wetland"},           {95, 14, "mangroves"},
    {100, 15, "moss and lichen"},
};

static const struct {
    int sdg;
    const char *name;
} goals[] = {{2, "Zero hunger"},
             {6, "Clean water and sanitation"},
             {11, "Sustainable cities and communities"},
             {14, "Life below water"},
             {15, "Life on land"},
             {16, "Peace, justice and strong institutions"}};

int cp_landcover_sdg(int code) {
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; ++i)
        if (classes[i].code == code) return classes[i].sdg;
    return 0;
}

const char *cp_landcover_name(int code) {
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; ++i)
        if (classes[i].code == code) return classes[i].name;
    return NULL;
}

const char *cp_sdg_name(int sdg) {
    for (size_t i = 0; i < sizeof goals / sizeof goals[0]; ++i)
        if (goals[i].sdg == sdg) return goals[i].name;
    return NULL;
}
