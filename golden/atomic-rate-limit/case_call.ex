defmodule Golden.AtomicRateLimit.CaseCall do
  @limit 100

  def hit(tab, key) do
    case :ets.update_counter(tab, key, {2, 1}, {key, 0}) do
      n when n > @limit ->
        tab |> :ets.update_counter(key, {2, -1})
        {:error, {:retry_after_hits, n - @limit}}

      n ->
        {:ok, n}
    end
  end
end
