defmodule Golden.AtomicRateLimit.ReleaseElsewhere do
  # A counting semaphore: the decrement is a release in another function.
  @limit 10

  def acquire(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})
    if n > @limit, do: {:error, n}, else: {:ok, n}
  end

  def release(tab, key) do
    :ets.update_counter(tab, key, {2, -1})
    :ok
  end
end
