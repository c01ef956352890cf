import { cancelOrderByStaff } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";
import { Reason, unpaidOrderAction } from "../_unpaid";

export const POST = staffRoute(
  "POST /api/staff/orders/[id]/cancel",
  { body: Reason },
  unpaidOrderAction(cancelOrderByStaff),
);
