import { defineErrors } from "../types";

export const ordersErrors = defineErrors({});
