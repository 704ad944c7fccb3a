defmodule Golden.AtomicRateLimit.ThresholdBare do
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, 1, {key, 0})

    if n > @limit do
      :ets.update_counter(tab, key, -1)
      {:error, n}
    else
      {:ok, n}
    end
  end
end
