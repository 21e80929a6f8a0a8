// The reports API's answers as the dashboard reads them: the shapes are defined once, in @parcours/protocol.
import type {
  BreakdownReport,
  CartsReport,
  FormsReport,
  FrictionReport,
  FunnelReport,
  KpisReport,
  TimeseriesReport,
  SatisfactionReport,
  TransitionsReport,
} from '@parcours/protocol';

export type {
  BreakdownReport,
  BreakdownRow,
  CartsReport,
  FormsReport,
  FrictionPage,
  FrictionReport,
  FrictionTarget,
  FunnelReport,
  KpisReport,
  Money,
  TimeseriesReport,
  SatisfactionReport,
  SatisfactionScores,
  TransitionsReport,
} from '@parcours/protocol';

/** Every report the page shows, for one period. */
export interface Reports {
  funnel: FunnelReport;
  transitions: TransitionsReport;
  friction: FrictionReport;
  forms: FormsReport;
  carts: CartsReport;
  kpis: KpisReport;
  breakdown: BreakdownReport;
  timeseries: TimeseriesReport;
  satisfaction: SatisfactionReport;
}
