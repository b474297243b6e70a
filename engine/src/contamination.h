/* New contamination in a run (DESIGN §16): the dated reports counted per year and region, the
 * trend projected, the capacity the plan sets aside for it. Internal to the engine. */
#ifndef CP_CONTAMINATION_H
#define CP_CONTAMINATION_H

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "engine.h"

/* Reads the scenario's dated reports (contamination.reports) onto the grid, gives each the
 * region of the nearest hazard, counts them per region in the contamination.fit_years calendar
 * years before capacity.start, and projects the new reports and area per year from the start
 * year to the deadline year. The area of a report is contamination.area_per_report_m2, or the
 * area of the hazards within link_m of a report in those years divided by those reports.
 * `hz` are the hazards' records in the order of hs (for their areas). */
cp_status cp_contamination_run(const cp_scenario *sc, const cp_grid *g, const cp_hazard_set *hs,
                               const cp_hazard *hz, cp_contamination **out);

/* Sets aside capacity for the projection (contamination.reserve): each projected year's new
 * area x the team-days per m2 of a new suspected hazard in the default land-cover class with
 * the improvised-mine slowdown, as a share (at most 0.95) of the team-days `plan` offers in
 * that year (a year past its milestones: its last year's). Fills c->reserve and
 * c->reserve_team_days; `cap` gets c->reserve. */
cp_status cp_contamination_reserve(cp_contamination *c, const cp_scenario *sc, const cp_plan *plan,
                                   cp_capacity *cap);

#endif
