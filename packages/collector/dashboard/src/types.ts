// The reports API's answers as the dashboard reads them: the shapes are defined once, in @parcours/protocol.
import type {
  CartsReport,
  FormsReport,
  FrictionReport,
  FunnelReport,
  KpisReport,
  SatisfactionReport,
  TransitionsReport,
} from '@parcours/protocol';

export type {
  CartsReport,
  FormsReport,
  FrictionPage,
  FrictionReport,
  FunnelReport,
  KpisReport,
  Money,
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
  satisfaction: SatisfactionReport;
}
