defmodule Golden.AtomicRateLimit.IfGt do
  @moduledoc "Fixed window limiter: the classic increment, check, give back."

  @limit 100

  def hit(tab, key) do
    count = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if count > @limit do
      # over the limit: give the slot back
      :ets.update_counter(tab, key, {2, -1})
      {:error, {:rate_limited, count - 1}}
    else
      # allowed: report how many were used
      {:ok, count}
    end
  end
end
