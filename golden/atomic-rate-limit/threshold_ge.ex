defmodule Golden.AtomicRateLimit.ThresholdGe do
  def hit(tab, key) do
    case :ets.update_counter(tab, key, {2, 1}, {key, 0}) do
      n when n >= 101 ->
        _ = :ets.update_counter(tab, key, {2, -1})
        {:error, n}

      n ->
        {:ok, n}
    end
  end
end
