defmodule Golden.AtomicRateLimit.NoCompensation do
  # Counting every attempt (also the denied ones) is a valid policy: nothing to roll back.
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      {:error, n}
    else
      {:ok, n}
    end
  end
end
