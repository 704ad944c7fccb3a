defmodule Golden.AtomicRateLimit.CheckNotNext do
  # Code runs between the increment and the check: not matched (precision first).
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})
    send(self(), {:hit, key, n})

    if n > @limit do
      :ets.update_counter(tab, key, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
