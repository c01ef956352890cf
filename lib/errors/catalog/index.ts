import { commonErrors } from "./common";
import { pkiErrors } from "./pki";
import { renewalErrors } from "./renewal";
import { ordersErrors } from "./orders";
import { paymentsErrors } from "./payments";
import { tokenErrors } from "./token";
import { staffErrors } from "./staff";
import { mailErrors } from "./mail";
import { servicesErrors } from "./services";
import { upstreamErrors } from "./upstream";
import { kmcErrors } from "./kmc";
import { reachErrors } from "./reach";
import { orgErrors } from "./org";

export const ERRORS = {
  ...commonErrors,
  ...pkiErrors,
  ...renewalErrors,
  ...ordersErrors,
  ...paymentsErrors,
  ...tokenErrors,
  ...staffErrors,
  ...mailErrors,
  ...servicesErrors,
  ...upstreamErrors,
  ...kmcErrors,
  ...reachErrors,
  ...orgErrors,
};

export type ErrorCode = keyof typeof ERRORS;
