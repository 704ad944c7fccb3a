defmodule Golden.AtomicRateLimit.NotifyFirst do
  # Code runs before the rollback (and could read the counter): not fixed automatically.
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      send(self(), {:rate_limited, key, n})
      :ets.update_counter(tab, key, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
